import { Duration, Token } from 'aws-cdk-lib';

/**
 * How many times per day a schedule expression fires, at most, or `undefined` when it cannot be told
 * (tokens, unsupported syntax). Only the minute and hour fields of a cron matter for a daily count.
 */
export function runsPerDay(expression: string): number | undefined {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    if (value <= 0) return undefined;
    const perDay = rate[2].startsWith('minute') ? 1440 / value : rate[2].startsWith('hour') ? 24 / value : 1 / value;
    return Math.ceil(perDay);
  }
  if (/^at\(/.test(expression.trim())) {
    return 1;
  }
  const cron = /^cron\((\S+)\s+(\S+)\s+\S+\s+\S+\s+\S+(?:\s+\S+)?\)$/.exec(expression.trim());
  if (cron) {
    const minutes = countField(cron[1], 0, 59);
    const hours = countField(cron[2], 0, 23);
    return minutes === undefined || hours === undefined ? undefined : minutes * hours;
  }
  return undefined;
}

/** Number of values a cron field selects in [min, max]: `*`, `n`, `a-b`, `a/s`, `*\/s`, `a-b/s` and lists. */
function countField(field: string, min: number, max: number): number | undefined {
  const selected = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const start = m[1] === '*' ? min : Number(m[1]);
    const end = m[2] !== undefined ? Number(m[2]) : (m[1] === '*' || m[3] !== undefined ? max : start);
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (step <= 0 || start < min || end > max || start > end) return undefined;
    for (let v = start; v <= end; v += step) selected.add(v);
  }
  return selected.size;
}

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+\s+){5}\S+\)$/;
const AT = /^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/;

/**
 * Throws unless `expression` is an EventBridge Scheduler expression: `rate(<n> <unit>)`, `cron(<6 fields>)` or
 * `at(yyyy-mm-ddThh:mm:ss)`. Tokens are left to CloudFormation.
 */
export function checkScheduleExpression(propName: string, expression: string): void {
  if (Token.isUnresolved(expression)) {
    return;
  }
  const text = expression.trim();
  const rate = RATE.exec(text);
  if ((rate && Number(rate[1]) > 0) || CRON.test(text) || AT.test(text)) {
    return;
  }
  throw new Error(`${propName} must be an EventBridge Scheduler expression, rate(<n> minutes|hours|days), cron(<6 fields>) or at(yyyy-mm-ddThh:mm:ss), got "${expression}"`);
}

/**
 * The longest time between two runs of a schedule, when it can be told: a rate's interval, or a day divided by the
 * runs of a cron that fires every day (evenly spaced or not, the average is the best guess). `undefined` for one-off
 * (`at`) schedules, tokens and crons restricted to some days.
 */
export function schedulePeriod(expression: string): Duration | undefined {
  if (Token.isUnresolved(expression)) {
    return undefined;
  }
  const text = expression.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    return rate[2].startsWith('minute') ? Duration.minutes(value) : rate[2].startsWith('hour') ? Duration.hours(value) : Duration.days(value);
  }
  const cron = /^cron\(\S+\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+\S+)?\)$/.exec(text);
  if (cron && ['*', '?'].includes(cron[1]) && cron[2] === '*' && ['*', '?'].includes(cron[3])) {
    const runs = runsPerDay(text);
    return runs !== undefined && runs > 0 ? Duration.minutes(Math.floor(1440 / runs)) : undefined;
  }
  return undefined;
}
