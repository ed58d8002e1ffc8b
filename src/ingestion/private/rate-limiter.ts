/**
 * A token bucket for the API's per-minute limit: every request attempt (retries included) takes its call weight
 * before it is sent, so that raising the concurrency never raises the request rate above the limit.
 *
 * The bucket holds at most one second of calls (`burst`) and refills at `callsPerMinute − burst` per minute, so
 * that no 60-second window ever sees more than `callsPerMinute` calls. Waiters are served first come, first served.
 *
 * This module is bundled into the Lambda: it must not import aws-cdk-lib.
 */
export class CallRateLimiter {
  /** Calls the bucket holds when full. */
  public readonly burst: number;
  /** Calls added per millisecond. */
  public readonly ratePerMs: number;
  /** Requests that had to wait for their tokens so far (the rest went at once, within the burst). */
  public waits = 0;
  private tokens: number;
  private last: number;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param callsPerMinute the most calls any 60-second window may see
   * @param weight the calls one request counts as (Open-Meteo counts a heavy request as several)
   */
  constructor(callsPerMinute: number, private readonly weight: number, private readonly clock: LimiterClock = realClock) {
    const limits = bucketFor(callsPerMinute);
    this.burst = limits.burst;
    this.ratePerMs = limits.ratePerMs;
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /**
   * Waits for the tokens of one request and takes them. Resolves false, taking nothing, when they would only be
   * there after `deadline` (epoch milliseconds).
   */
  public acquire(deadline: number): Promise<boolean> {
    const turn = this.queue.then(() => this.take(deadline));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(deadline: number): Promise<boolean> {
    this.refill();
    // A request heavier than the bucket waits for a full bucket and leaves it in debt.
    const needed = Math.min(this.weight, this.burst);
    if (this.tokens < needed) {
      const waitMs = Math.ceil((needed - this.tokens) / this.ratePerMs);
      if (this.clock.now() + waitMs > deadline) {
        return false;
      }
      this.waits += 1;
      await this.clock.sleep(waitMs);
      this.refill();
    }
    this.tokens -= this.weight;
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.ratePerMs);
    this.last = now;
  }
}

/** Time source and sleep of the limiter (tests can speed it up). */
export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** Burst and refill rate that keep every 60-second window at `callsPerMinute` calls or fewer. */
export function bucketFor(callsPerMinute: number): { burst: number; ratePerMs: number } {
  const burst = Math.max(1, Math.floor(callsPerMinute / 60));
  const perMinute = callsPerMinute > burst ? callsPerMinute - burst : callsPerMinute;
  return { burst, ratePerMs: perMinute / 60_000 };
}

/**
 * Longest time the limiter can make a batch wait in total: every one of `calls` weighted calls but the first
 * burst waits for its tokens. Used by the construct to size the function timeout.
 */
export function limiterWaitMs(calls: number, callsPerMinute: number): number {
  const { burst, ratePerMs } = bucketFor(callsPerMinute);
  return Math.ceil(Math.max(0, calls - burst) / ratePerMs);
}
