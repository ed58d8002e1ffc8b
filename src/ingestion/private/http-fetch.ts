import { backoffCeilingMs, OPEN_METEO_USER_AGENT, RetryPolicy } from './runtime-config';
import { WeatherContract } from '../../contract/weather-contract';

/** A body the API answered with, ready to be written unchanged. */
export interface FetchSuccess {
  readonly ok: true;
  /** The body bytes exactly as received (after HTTP content decoding). */
  readonly body: Buffer;
  readonly contentType: string;
  readonly fetchedAt: Date;
  readonly attempts: number;
  /** The HTTP status of the answer (200, or 203 for a deprecated product version). */
  readonly status: number;
  /** Set when the answer is data with a caveat: MET Norway's 203 (the product version is deprecated). */
  readonly warning?: string;
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
   * Largest 2xx body accepted, in bytes (after HTTP content decoding). The body is read as a stream and the
   * request is abandoned as soon as it grows past this: a larger body fails the city with `BODY_TOO_LARGE`,
   * without retry.
   */
  readonly maxBodyBytes: number;
  /**
   * Takes the API calls of one attempt before it is sent (the rate limiter); resolves false when they would only
   * be available after the deadline, which ends the city's attempts.
   */
  readonly acquireCall?: (deadline: number) => Promise<boolean>;
  /** The User-Agent header; Open-Meteo's default. */
  readonly userAgent?: string;
  /** What is wrong with a 2xx JSON object, or undefined when it is usable; `shapeProblem` (Open-Meteo's) by default. */
  readonly shapeCheck?: (body: Record<string, unknown>) => string | undefined;
  /** Read `{"error": true, "reason": ...}` as an API error document (Open-Meteo's); true by default. */
  readonly apiErrorDocuments?: boolean;
  /** A provider's explanation of an HTTP status, added to the failure reason. */
  readonly statusHint?: (status: number) => string | undefined;
}

interface Verdict {
  readonly retryable: boolean;
  readonly error: string;
  readonly reason: string;
  readonly retryAfterMs?: number;
}


/** How one attempt reads an answer: the provider's User-Agent, shape check and error conventions. */
interface AttemptRules {
  readonly userAgent: string;
  readonly shapeCheck: (body: Record<string, unknown>) => string | undefined;
  readonly apiErrorDocuments: boolean;
  readonly statusHint?: (status: number) => string | undefined;
}

/**
 * GETs one Open-Meteo URL with a per-request timeout and retries with exponential backoff and full jitter.
 *
 * Retried: network errors, timeouts, HTTP 429 and 5xx, and a 2xx body that is not valid JSON (a truncated
 * transfer). Not retried: other HTTP statuses (4xx), an API error document (`{"error": true, "reason": ...}`),
 * a 2xx JSON body that is not an object (`INVALID_BODY`) or not the shape the contract reads (`WRONG_SHAPE`),
 * and a 2xx body larger than `maxBodyBytes` (`BODY_TOO_LARGE`). A `Retry-After` longer than the backoff ceiling
 * ends the retries. The body is parsed once, to check it; what is returned is the bytes as received.
 */
export async function fetchWeather(url: string, options: FetchOptions): Promise<FetchOutcome> {
  const { policy, deadline } = options;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const fetchImpl = options.fetchImpl ?? fetch;
  const rules: AttemptRules = {
    userAgent: options.userAgent ?? OPEN_METEO_USER_AGENT,
    shapeCheck: options.shapeCheck ?? shapeProblem,
    apiErrorDocuments: options.apiErrorDocuments ?? true,
    statusHint: options.statusHint,
  };

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
    const verdict = await attempt(fetchImpl, url, timeoutMs, options.maxBodyBytes, rules);
    if ('body' in verdict) {
      return {
        ok: true,
        body: verdict.body,
        contentType: verdict.contentType,
        fetchedAt: new Date(),
        attempts,
        status: verdict.status,
        ...(verdict.status === 203 ? { warning: 'HTTP 203 Non-Authoritative Information: the provider has deprecated this product version (it stops answering after a notice period); move to its successor' } : {}),
      };
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
  fetchImpl: typeof fetch, url: string, timeoutMs: number, maxBodyBytes: number, rules: AttemptRules,
): Promise<Verdict | { body: Buffer; contentType: string; status: number }> {
  let response: Response;
  let read: CappedBody;
  try {
    // The signal covers the body too, so a server that stalls mid-body also times out.
    response = await fetchImpl(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'accept': 'application/json', 'user-agent': rules.userAgent },
    });
    const ok = response.status >= 200 && response.status < 300;
    read = await readCapped(response, ok ? maxBodyBytes : ERROR_BODY_BYTES);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return { retryable: true, error: 'TIMEOUT', reason: `no complete response within ${timeoutMs} ms` };
    }
    const cause = e.cause ? `: ${e.cause.code ?? ''} ${e.cause.message ?? ''}`.trimEnd() : '';
    return { retryable: true, error: 'NETWORK', reason: `${e.message}${cause}` };
  }

  const status = response.status;
  if (status >= 200 && status < 300) {
    if (read.overCap !== undefined) {
      return { retryable: false, error: 'BODY_TOO_LARGE', reason: `HTTP ${status} body ${read.overCap}, more than the ${maxBodyBytes} bytes accepted (maxResponseSize); request abandoned` };
    }
    const body = read.body;
    const json = parseJson(body);
    if (!json.ok) {
      return { retryable: true, error: 'INVALID_BODY', reason: `HTTP ${status} body of ${body.length} bytes is not valid JSON: ${json.error}` };
    }
    const parsed = json.value;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { retryable: false, error: 'INVALID_BODY', reason: `HTTP ${status} body is JSON but not an object: ${snippet(body)}` };
    }
    const apiReason = rules.apiErrorDocuments ? apiErrorReason(parsed) : undefined;
    if (apiReason !== undefined) {
      return { retryable: false, error: 'API_ERROR', reason: apiReason };
    }
    const problem = rules.shapeCheck(parsed as Record<string, unknown>);
    if (problem !== undefined) {
      return { retryable: false, error: 'WRONG_SHAPE', reason: `HTTP ${status} body ${problem}: ${snippet(body)}` };
    }
    return { body, contentType: response.headers.get('content-type') ?? 'application/json', status };
  }

  const body = read.body;
  const json = parseJson(body);
  const apiReason = json.ok && rules.apiErrorDocuments ? apiErrorReason(json.value) : undefined;
  const hint = rules.statusHint?.(status);
  const reason = (apiReason ?? (`${status} ${response.statusText}`.trim() + (body.length > 0 ? `: ${snippet(body)}` : ''))) + (hint !== undefined ? ` (${hint})` : '');
  const retryable = status === 429 || status >= 500;
  return { retryable, error: `HTTP_${status}`, reason, retryAfterMs: retryable ? retryAfterMs(response.headers.get('retry-after')) : undefined };
}

/** Bytes read of an error (non-2xx) body: enough for an API error document, the rest is dropped. */
const ERROR_BODY_BYTES = 64 * 1024;

interface CappedBody {
  /** The body, or its first `cap` bytes when it is longer. */
  readonly body: Buffer;
  /** Set when the body is longer than the cap: what is known of its size. */
  readonly overCap?: string;
}

/**
 * Reads a response body as a stream, keeping at most `cap` bytes: a longer body is cancelled as soon as it is
 * known to be too long (from its `Content-Length` when it is not content-encoded, else when the cap is crossed).
 */
async function readCapped(response: Response, cap: number): Promise<CappedBody> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (response.headers.get('content-encoding') === null && Number.isFinite(declared) && declared > cap) {
    await response.body?.cancel();
    return { body: Buffer.alloc(0), overCap: `of ${declared} bytes (Content-Length)` };
  }
  if (response.body === null) {
    return { body: Buffer.alloc(0) };
  }
  const reader = response.body.getReader();
  if (response.headers.get('content-encoding') === null && Number.isInteger(declared) && declared >= 0) {
    // The size is known: read into one buffer of that size, rather than chunks and then a copy of them all.
    const buffer = Buffer.allocUnsafe(declared);
    let offset = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return { body: buffer.subarray(0, offset) };
      }
      if (offset + value.byteLength > declared) {
        await reader.cancel();
        throw new Error(`the body is longer than its Content-Length of ${declared} bytes`);
      }
      buffer.set(value, offset);
      offset += value.byteLength;
    }
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    if (total + value.byteLength > cap) {
      chunks.push(value.subarray(0, cap - total));
      await reader.cancel();
      return { body: Buffer.concat(chunks, cap), overCap: `of more than ${cap} bytes` };
    }
    chunks.push(value);
    total += value.byteLength;
  }
  return { body: Buffer.concat(chunks, total) };
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** The `reason` of an Open-Meteo error document (`{"error": true, "reason": "..."}`), if the value is one. */
function apiErrorReason(parsed: unknown): string | undefined {
  if (parsed !== null && typeof parsed === 'object' && (parsed as Record<string, unknown>).error === true) {
    const reason = (parsed as Record<string, unknown>).reason;
    return typeof reason === 'string' ? reason : JSON.stringify(parsed);
  }
  return undefined;
}

/**
 * What the contract needs of a forecast or archive body, checked before it is written: an `hourly` object with a
 * non-empty `time` array and at least one of the contract's variables, every one present as an array. Lengths and
 * values are the ETL's to check (it quarantines them row by row). Returns what is wrong, or undefined.
 */
export function shapeProblem(body: Record<string, unknown>): string | undefined {
  const hourly = body.hourly;
  if (hourly === null || typeof hourly !== 'object' || Array.isArray(hourly)) {
    return 'has no "hourly" object';
  }
  const block = hourly as Record<string, unknown>;
  if (!Array.isArray(block.time) || block.time.length === 0) {
    return 'has no non-empty "hourly.time" array';
  }
  const present = WeatherContract.VARIABLES.map((v) => v.apiName).filter((name) => name in block);
  if (present.length === 0) {
    return `has none of the requested hourly variables (${WeatherContract.VARIABLES.map((v) => v.apiName).join(', ')})`;
  }
  const notArrays = present.filter((name) => !Array.isArray(block[name]));
  if (notArrays.length > 0) {
    return `has hourly variables that are not arrays: ${notArrays.join(', ')}`;
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
