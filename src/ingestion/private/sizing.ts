/**
 * How `WeatherIngestion` sizes its function from the batch it must run: the default concurrency, the timeout, the
 * body cap and the memory, and the checks that fail synthesis when a batch cannot fit in Lambda's limits.
 */
import { Duration, Size, Token } from 'aws-cdk-lib';
import { checkInteger } from './prop-checks';
import { limiterWaitMs } from './rate-limiter';
import {
  derivedBodyCap, FIXED_OVERHEAD_MS, MAX_CONCURRENT_REQUESTS, MAX_MEMORY_MB, MIN_MEMORY_MB, requiredMemoryMb, RetryPolicy,
  worstCaseCityMs, WRITE_ALLOWANCE_MS,
} from './runtime-config';
import { WeatherContract } from '../../contract/weather-contract';

/** Lambda's limits this construct sizes against. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
const LAMBDA_MAX_ENVIRONMENT_BYTES = 4096;
/** Share of Lambda's 15 minutes the derived default concurrency sizes the worst case to: the rest is margin. */
const TIMEOUT_BUDGET_SHARE = 0.9;
/** The default concurrency never goes below this (the former fixed default). */
const MIN_DEFAULT_CONCURRENCY = 3;

/** What one batch asks of the API and of the clock. */
export interface BatchLoad {
  readonly cityCount: number;
  /** Sources called for every city: cities × sources requests per batch. */
  readonly sourceCount: number;
  /** Each source's limiter: its call weight per request and its calls per minute. */
  readonly limits: Array<{ readonly weight: number; readonly rate: number }>;
  readonly policy: RetryPolicy;
  readonly maxCallsPerMinute: number;
  /** Open-Meteo's weight of one request. */
  readonly weight: number;
}

/**
 * The worst case of a batch at `concurrency`: every attempt of every city times out, every backoff waits its
 * ceiling, and the rate limiter holds back every call past its first burst (each worker's waits for the limiter
 * add up to at most the limiter's total wait).
 */
function worstCaseMs(load: BatchLoad, concurrency: number): number {
  const rounds = Math.ceil((load.cityCount * load.sourceCount) / concurrency);
  return FIXED_OVERHEAD_MS + rounds * (worstCaseCityMs(load.policy) + WRITE_ALLOWANCE_MS)
    + load.limits.reduce((sum, limit) => sum + limiterWaitMs(load.cityCount * load.policy.maxAttempts * limit.weight, limit.rate), 0);
}

/** The smallest concurrency, at least 3, whose worst case fits in 90 % of Lambda's 15 minutes. */
export function defaultConcurrency(load: BatchLoad): number {
  checkRateLimitFits(load);
  const budgetMs = TIMEOUT_BUDGET_SHARE * LAMBDA_MAX_TIMEOUT_SECONDS * 1000;
  for (let concurrency = MIN_DEFAULT_CONCURRENCY; concurrency <= MAX_CONCURRENT_REQUESTS; concurrency++) {
    if (worstCaseMs(load, concurrency) <= budgetMs) {
      return concurrency;
    }
  }
  const limiterS = Math.ceil(limiterWaitMs(load.cityCount * load.policy.maxAttempts * load.weight, load.maxCallsPerMinute) / 1000);
  throw new Error(
    `cities: ${load.cityCount} cities do not fit in Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s in the worst case, even at maxConcurrentRequests ` +
    `${MAX_CONCURRENT_REQUESTS}: every attempt timing out (maxAttempts ${load.policy.maxAttempts}, requestTimeout ${load.policy.requestTimeoutMs / 1000} s) ` +
    `and the rate limit (maxCallsPerMinute ${load.maxCallsPerMinute}) holding the ${load.cityCount * load.policy.maxAttempts * load.weight} calls back for up to ${limiterS} s; ` +
    'lower maxAttempts or requestTimeout, raise maxCallsPerMinute if your plan allows it, set maxConcurrentRequests yourself, ' +
    'or split the cities across several WeatherIngestion constructs');
}

/** Even when every city answers at once, the rate limit alone must let one attempt per city through in time. */
function checkRateLimitFits(load: BatchLoad): void {
  const calls = load.cityCount * load.weight;
  // The sources' limiters run side by side: the slowest one sets the minimum.
  const minimumMs = FIXED_OVERHEAD_MS + Math.max(...load.limits.map((limit) => limiterWaitMs(load.cityCount * limit.weight, limit.rate)));
  if (minimumMs > LAMBDA_MAX_TIMEOUT_SECONDS * 1000) {
    throw new Error(
      `cities: ${load.cityCount} cities (${calls} API calls) at maxCallsPerMinute ${load.maxCallsPerMinute} need at least ` +
      `${Math.ceil(minimumMs / 1000)} s, more than Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s; raise maxCallsPerMinute if your plan allows it ` +
      'or split the cities across several WeatherIngestion constructs');
  }
}

/**
 * Enough time for the worst case (`worstCaseMs`), capped at Lambda's 15 minutes; the handler stops starting requests
 * when time runs short and still writes the manifest. It is an error when even one attempt per city cannot fit.
 */
export function sizeTimeout(load: BatchLoad, concurrency: number, explicit: boolean): Duration {
  checkRateLimitFits(load);
  const rounds = Math.ceil((load.cityCount * load.sourceCount) / concurrency);
  const minimumMs = FIXED_OVERHEAD_MS + rounds * (load.policy.requestTimeoutMs + WRITE_ALLOWANCE_MS);
  if (minimumMs > LAMBDA_MAX_TIMEOUT_SECONDS * 1000) {
    throw new Error(
      `cities: ${load.cityCount} cities at maxConcurrentRequests ${concurrency}${explicit ? '' : ' (the default)'} and requestTimeout ${load.policy.requestTimeoutMs / 1000} s ` +
      `need at least ${Math.ceil(minimumMs / 1000)} s, more than Lambda's ${LAMBDA_MAX_TIMEOUT_SECONDS} s; ` +
      'lower requestTimeout, raise maxConcurrentRequests (or leave it unset: the default is sized from the cities) or split the cities across several WeatherIngestion constructs');
  }
  return Duration.seconds(Math.min(LAMBDA_MAX_TIMEOUT_SECONDS, Math.ceil(worstCaseMs(load, concurrency) / 1000)));
}

/** The forecast body cap: `maxResponseSize`, not below what the requested days can produce, or that derived cap. */
export function sizeBodyCap(maxResponseSize: Size | undefined, days: number): number {
  const derived = derivedBodyCap(WeatherContract.VARIABLES.length, days);
  if (maxResponseSize === undefined) {
    return derived;
  }
  const bytes = maxResponseSize.toBytes();
  if (Token.isUnresolved(bytes) || !Number.isInteger(bytes) || bytes < derived) {
    throw new Error(
      `maxResponseSize must be a whole number of bytes, at least the ${derived} bytes that ${days} days of the contract's ` +
      `${WeatherContract.VARIABLES.length} hourly variables can produce, got ${maxResponseSize.toBytes()} bytes`);
  }
  return bytes;
}

/** `memorySize`, checked to hold `concurrency` bodies of `maxBodyBytes`, or the smallest memory that does. */
export function sizeMemory(memorySize: number | undefined, concurrency: number, maxBodyBytes: number, explicitConcurrency: boolean): number {
  const required = requiredMemoryMb(concurrency, maxBodyBytes);
  const what = `maxConcurrentRequests ${concurrency}${explicitConcurrency ? '' : ' (the default)'} × maxResponseSize ${maxBodyBytes} bytes`;
  if (required > MAX_MEMORY_MB) {
    throw new Error(
      `${what} need ${required} MB of memory, more than Lambda's ${MAX_MEMORY_MB} MB: lower maxResponseSize or maxConcurrentRequests, ` +
      'or split the cities across several WeatherIngestion constructs');
  }
  if (memorySize === undefined) {
    return required;
  }
  checkInteger('memorySize', memorySize, MIN_MEMORY_MB, MAX_MEMORY_MB);
  if (Token.isUnresolved(memorySize)) {
    throw new Error('memorySize must be a literal number, not a token: it is checked against the bodies in flight');
  }
  if (memorySize < required) {
    throw new Error(`memorySize must be at least ${required} MB to hold ${what} in flight, got ${memorySize}`);
  }
  return memorySize;
}

export function checkEnvironmentSize(environment: Record<string, string>): void {
  const bytes = Object.entries(environment)
    .filter(([, value]) => !Token.isUnresolved(value))
    .reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0);
  // Leave room for the variables added later (connection reuse) and unresolved values.
  if (bytes > LAMBDA_MAX_ENVIRONMENT_BYTES - 200) {
    throw new Error(
      `the function's environment takes ${bytes} bytes, more than the ${LAMBDA_MAX_ENVIRONMENT_BYTES - 200} ` +
      'this construct allows (Lambda limits all variables to 4 KB); shorten apiBaseUrl or archiveApiBaseUrl');
  }
}
