import { bucketFor, CallRateLimiter, LimiterClock, limiterWaitMs } from '../../src/ingestion/private/rate-limiter';

/** A clock that advances only when the limiter sleeps: the tests take no time. */
function fakeClock(): LimiterClock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => { clock.t += ms; },
  };
  return clock;
}

describe('CallRateLimiter', () => {
  test('no 60-second window sees more than the limit (600 a minute: burst 10, then 590 a minute)', async () => {
    expect(bucketFor(600)).toEqual({ burst: 10, ratePerMs: 590 / 60_000 });
    const clock = fakeClock();
    const limiter = new CallRateLimiter(600, 1, clock);
    const times: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      expect(await limiter.acquire(Infinity)).toBe(true);
      times.push(clock.t);
    }
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 60_000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(600);
    expect(most).toBeGreaterThanOrEqual(595);
  });

  test('concurrent callers are served in order, each after the previous one\'s tokens', async () => {
    const clock = fakeClock();
    const limiter = new CallRateLimiter(120, 1, clock);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => limiter.acquire(Infinity).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
    // burst 2, then 118 a minute: the 4th call at 2 × 508.5 ms.
    expect(clock.t).toBe(2 * Math.ceil(60_000 / 118) - 1);
  });

  test('a weighted request takes its weight; one heavier than the burst waits for a full bucket and leaves a debt', async () => {
    const clock = fakeClock();
    const limiter = new CallRateLimiter(120, 3, clock);
    expect(await limiter.acquire(Infinity)).toBe(true);
    expect(clock.t).toBe(0);
    expect(await limiter.acquire(Infinity)).toBe(true);
    // Tokens: 2 − 3 = −1; the next needs 2 (the burst): 3 tokens at 118 a minute.
    expect(clock.t).toBe(Math.ceil(3 * 60_000 / 118));
  });

  test('refuses, taking nothing, when the tokens would only come after the deadline', async () => {
    const clock = fakeClock();
    const limiter = new CallRateLimiter(60, 1, clock);
    expect(await limiter.acquire(100)).toBe(true);
    expect(await limiter.acquire(100)).toBe(false);
    expect(clock.t).toBe(0);
    expect(await limiter.acquire(Infinity)).toBe(true);
    expect(clock.t).toBe(Math.ceil(60_000 / 59));
  });

  test('limiterWaitMs: the longest total wait of a batch, used to size the function timeout', () => {
    expect(limiterWaitMs(8, 500)).toBe(0);
    // 4,000 calls at 500 a minute: burst 8, then 492 a minute.
    expect(limiterWaitMs(4_000, 500)).toBe(Math.ceil(3_992 / 492 * 60_000));
  });
});
