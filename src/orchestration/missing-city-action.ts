/**
 * What a run does when a configured city has no data in the refined lake for the run's dates (the ingestion could
 * not fetch it, say, and no earlier run wrote those days).
 */
export enum MissingCityAction {
  /**
   * The run fails: the `partitions-not-empty` check expects every configured city and names the empty
   * (date, city) partitions; the failure is notified.
   */
  FAIL = 'FAIL',

  /**
   * The run goes on: the checks expect the cities the run wrote, and the configured cities it did not write are
   * checked apart, after them; when one of those has no data for the run's dates, the notification topic gets an
   * alert naming the empty (date, city) partitions and the run succeeds. A run that wrote no city at all is checked
   * as with `FAIL`: every configured city is expected, and one without data fails the run.
   */
  ALERT = 'ALERT',
}
