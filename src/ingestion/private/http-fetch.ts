import { backoffCeilingMs, RetryPolicy } from './runtime-config';

/** A body the API answered with, ready to be written unchanged. */
export interface FetchSuccess {
  readonly ok: true;
  /** The body bytes exactly as received (after HTTP content decoding). */
  readonly body: Buffer;
  readonly contentType: string;
  readonly fetchedAt: Date;
  readonly attempts: number;
}

/** A request that did not yield a usable body. `error` is a `ManifestFailure.error` code. */
export interface FetchFailure {
  readonly ok: false;
  readonly error: string;
  readonly reason: string;
  readonly attempts: number;
}

export type FetchOutcome = FetchSuccess | FetchFailure;

/** Options of `fetchWeather`. */
export interface FetchOptions {
  readonly policy: RetryPolicy;
  /** Epoch milliseconds after which no attempt starts and no backoff waits. */
  readonly deadline: number;
  /** Random source in [0, 1) for the jitter; `Math.random` by default. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetchImpl?: typeof fetch;
  /**
   * Takes the API calls of one attempt before it is sent (the rate limiter); resolves false when they would only
   * be available after the deadline, which ends the city's attempts.
   */
  readonly acquireCall?: (deadline: number) => Promise<boolean>;
}

interface Verdict {
  readonly retryable: boolean;
  readonly error: string;
  readonly reason: string;
  readonly retryAfterMs?: number;
}

const USER_AGENT = 'cdk-weather-pipeline (+https://github.com/cdk-weather-pipeline/cdk-weather-pipeline)';

/**
 * GETs one Open-Meteo URL with a per-request timeout and retries with exponential backoff and full jitter.
 *
 * Retried: network errors, timeouts, HTTP 429 and 5xx, and a 2xx body that is not valid JSON (a truncated
 * transfer). Not retried: other HTTP statuses (4xx), an API error document (`{"error": true, "reason": ...}`)
 * and a 2xx JSON body that is not an object. A `Retry-After` longer than the backoff ceiling ends the retries.
 */
export async function fetchWeather(url: string, options: FetchOptions): Promise<FetchOutcome> {
  const { policy, deadline } = options;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fetchImpl = options.fetchImpl ?? fetch;

  let attempts = 0;
  let last: Verdict = { retryable: false, error: 'TIMEOUT', reason: 'not attempted: the invocation ran out of time' };
  while (attempts < policy.maxAttempts) {
    const budget = deadline - Date.now();
    if (budget <= 0) {
      return failure(attempts === 0 ? last : { ...last, reason: `${last.reason}; no time left to retry` }, attempts);
    }
    if (options.acquireCall !== undefined && !(await options.acquireCall(deadline))) {
      const limited = `no time left within the API rate limit (${attempts} attempt${attempts === 1 ? '' : 's'} made)`;
      return failure({ ...last, reason: attempts === 0 ? `not attempted: ${limited}` : `${last.reason}; ${limited}` }, attempts);
    }
    // The wait for the rate limiter ends before the deadline, but it may have used up most of the budget.
    const timeoutMs = Math.min(policy.requestTimeoutMs, deadline - Date.now());
    if (timeoutMs <= 0) {
      return failure(attempts === 0 ? last : { ...last, reason: `${last.reason}; no time left to retry` }, attempts);
    }
    attempts++;
    const verdict = await attempt(fetchImpl, url, timeoutMs);
    if ('body' in verdict) {
      return { ok: true, body: verdict.body, contentType: verdict.contentType, fetchedAt: new Date(), attempts };
    }
    last = verdict;
    if (!verdict.retryable || attempts >= policy.maxAttempts) {
      break;
    }
    const ceiling = backoffCeilingMs(policy, attempts);
    if (verdict.retryAfterMs !== undefined && verdict.retryAfterMs > policy.backoffMaxMs) {
      last = { ...verdict, reason: `${verdict.reason}; Retry-After of ${verdict.retryAfterMs / 1000} s exceeds the retry budget` };
      break;
    }
    const delay = Math.max(verdict.retryAfterMs ?? 0, Math.floor(random() * ceiling));
    if (Date.now() + delay >= deadline) {
      last = { ...verdict, reason: `${verdict.reason}; no time left to retry` };
      break;
    }
    await sleep(delay);
  }
  return failure(last, attempts);
}

function failure(verdict: Verdict, attempts: number): FetchFailure {
  return { ok: false, error: verdict.error, reason: verdict.reason, attempts };
}

async function attempt(
  fetchImpl: typeof fetch, url: string, timeoutMs: number,
): Promise<Verdict | { body: Buffer; contentType: string }> {
  let response: Response;
  let body: Buffer;
  try {
    // The signal covers the body too, so a server that stalls mid-body also times out.
    response = await fetchImpl(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'accept': 'application/json', 'user-agent': USER_AGENT },
    });
    body = Buffer.from(await response.arrayBuffer());
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return { retryable: true, error: 'TIMEOUT', reason: `no complete response within ${timeoutMs} ms` };
    }
    const cause = e.cause ? `: ${e.cause.code ?? ''} ${e.cause.message ?? ''}`.trimEnd() : '';
    return { retryable: true, error: 'NETWORK', reason: `${e.message}${cause}` };
  }

  const apiReason = apiErrorReason(body);
  const status = response.status;
  if (status >= 200 && status < 300) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      return { retryable: true, error: 'INVALID_BODY', reason: `HTTP ${status} body of ${body.length} bytes is not valid JSON: ${(err as Error).message}` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { retryable: false, error: 'INVALID_BODY', reason: `HTTP ${status} body is JSON but not an object: ${snippet(body)}` };
    }
    if (apiReason !== undefined) {
      return { retryable: false, error: 'API_ERROR', reason: apiReason };
    }
    return { body, contentType: response.headers.get('content-type') ?? 'application/json' };
  }

  const reason = apiReason ?? (`${status} ${response.statusText}`.trim() + (body.length > 0 ? `: ${snippet(body)}` : ''));
  const retryable = status === 429 || status >= 500;
  return { retryable, error: `HTTP_${status}`, reason, retryAfterMs: retryable ? retryAfterMs(response.headers.get('retry-after')) : undefined };
}

/** The `reason` of an Open-Meteo error document (`{"error": true, "reason": "..."}`), if the body is one. */
function apiErrorReason(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && parsed.error === true) {
      return typeof parsed.reason === 'string' ? parsed.reason : JSON.stringify(parsed);
    }
  } catch {
    // not JSON: not an API error document
  }
  return undefined;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) {
    return undefined;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function snippet(body: Buffer): string {
  const text = body.toString('utf8');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
