/**
 * How coarse the partitions of the refined hourly table are. One setting, on `RefinedLake` (or
 * `WeatherPipeline`): the ETL job and the Athena catalog built on the refined lake's bucket follow it.
 */
export enum PartitionGranularity {
  /**
   * One partition per UTC day and city: `date=yyyy-MM-dd/city=<slug>/` (24 rows per file for hourly data).
   * The default.
   */
  DAY = 'DAY',

  /**
   * One partition per UTC month and city: `month=yyyy-MM/city=<slug>/`, with `date` (`yyyy-MM-dd`) kept as an
   * ordinary column to filter on. About 30 times fewer, larger files: cheaper and faster to query, at the price
   * of rewriting the month's file of a city on each run.
   */
  MONTH = 'MONTH',
}
