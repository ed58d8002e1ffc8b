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

/**
 * Open-Meteo's weight of one request: a call with more than 10 variables or more than 2 weeks of data
 * counts as several (15 variables = 1.5 calls, 4 weeks = 2 calls).
 */
export function callWeight(variableCount: number, days: number): number {
  return Math.max(1, variableCount / 10) * Math.max(1, days / 14);
}
