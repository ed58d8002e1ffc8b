/**
 * A time in ISO 8601 basic format, to the second: `2025-06-01T06:15:00.000Z` → `20250601T061500Z`. The default batch
 * id of a scheduled ingestion, and so the run id (and execution name) of a scheduled pipeline run.
 */
export function basicIso(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
