/**
 * Open-Meteo's weight of one request: a call with more than 10 variables or more than 2 weeks of data
 * counts as several (15 variables = 1.5 calls, 4 weeks = 2 calls).
 */
export function callWeight(variableCount: number, days: number): number {
  return Math.max(1, variableCount / 10) * Math.max(1, days / 14);
}
