/**
 * A place the pipeline collects weather for.
 *
 * Cities are data, not resources: adding one never adds a resource to the stack.
 *
 * @example
 * const paris: City = { name: 'Paris', latitude: 48.8566, longitude: 2.3522 };
 */
export interface City {
  /**
   * Display name, kept as the `city_name` column. Any Unicode text, e.g. `Saint-Étienne`.
   */
  readonly name: string;

  /**
   * Latitude in decimal degrees, in [-90, 90].
   */
  readonly latitude: number;

  /**
   * Longitude in decimal degrees, in [-180, 180].
   */
  readonly longitude: number;

  /**
   * IANA time zone of the city (e.g. `Europe/Paris`), recorded as provenance.
   *
   * Refined times are always UTC whatever this says; the zone only documents the city.
   *
   * @default - none recorded
   */
  readonly timezone?: string;

  /**
   * Partition value used in S3 keys and the `city` column.
   *
   * Must be lowercase ASCII letters, digits and single hyphens (`[a-z0-9]+(-[a-z0-9]+)*`).
   * Set it to tell apart two cities with the same name (e.g. `paris-tx`).
   *
   * @default - derived from `name` by `WeatherContract.slugify`
   */
  readonly slug?: string;
}
