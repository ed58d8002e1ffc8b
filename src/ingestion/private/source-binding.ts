import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { checkInteger, checkUrl } from './prop-checks';
import { MET_NORWAY_ID, OPEN_METEO_ID } from './runtime-config';
import { MET_NORWAY_BODY_CAP_BYTES } from './sources';
import { MetNorwaySourceOptions, OpenMeteoSourceOptions, WeatherSource } from '../weather-source';

/** A source with its options, as the built-in implementations keep them. */
interface WithOptions<T> {
  readonly options: T;
}

/** The Open-Meteo options of a built-in Open-Meteo source. */
export function openMeteoOptions(source: WeatherSource): OpenMeteoSourceOptions | undefined {
  return source.id === OPEN_METEO_ID ? (source as unknown as WithOptions<OpenMeteoSourceOptions>).options : undefined;
}

/** The MET Norway options of a built-in MET Norway source. */
export function metNorwayOptions(source: WeatherSource): MetNorwaySourceOptions | undefined {
  return source.id === MET_NORWAY_ID ? (source as unknown as WithOptions<MetNorwaySourceOptions>).options : undefined;
}

/** MET Norway's settings, checked at synth. */
export interface MetNorwaySettings {
  readonly userAgent: string;
  readonly endpoint: string;
  readonly apiBaseUrl: string;
  readonly maxCallsPerMinute: number;
  readonly bodyCapBytes: number;
}

/** Checks the configured sources: at least one, no id twice, only built-in ones. */
export function checkSources(user: IConstruct, sources: WeatherSource[]): void {
  if (sources.length === 0) {
    throw new Error(`sources must list at least one WeatherSource (e.g. WeatherSource.openMeteo()), got [] (${user.node.path})`);
  }
  const ids = sources.map((source) => source.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length > 0) {
    throw new Error(`sources must not list a source twice, got ${ids.join(', ')}`);
  }
  const unknown = ids.filter((id) => id !== OPEN_METEO_ID && id !== MET_NORWAY_ID);
  if (unknown.length > 0) {
    throw new Error(`sources: the ingestion function calls the built-in sources only (WeatherSource.openMeteo, WeatherSource.metNorway), got ${unknown.join(', ')}`);
  }
}

/** MET Norway's settings, or an Error naming the prop: a User-Agent is required by its terms. */
export function metNorwaySettings(options: MetNorwaySourceOptions): MetNorwaySettings {
  const ua = options.userAgent;
  if (typeof ua !== 'string' || (!Token.isUnresolved(ua) && ua.trim() === '')) {
    throw new Error(`metNorway userAgent must identify your application and a contact (e.g. "acmeweather.example support@acmeweather.example"), as MET Norway's terms require, got ${JSON.stringify(ua)}`);
  }
  if (!Token.isUnresolved(ua) && /[^\x20-\x7e]/.test(ua)) {
    throw new Error(`metNorway userAgent must be printable ASCII (an HTTP header value), got ${JSON.stringify(ua)}`);
  }
  const endpoint = options.endpoint ?? 'compact';
  if (endpoint !== 'compact' && endpoint !== 'complete') {
    throw new Error(`metNorway endpoint must be MetNorwayEndpoint.COMPACT or MetNorwayEndpoint.COMPLETE, got ${JSON.stringify(endpoint)}`);
  }
  return {
    userAgent: ua,
    endpoint,
    apiBaseUrl: checkUrl('metNorway apiBaseUrl', options.apiBaseUrl ?? 'https://api.met.no'),
    maxCallsPerMinute: checkInteger('metNorway maxCallsPerMinute', options.maxCallsPerMinute ?? 300, 1, 1200),
    bodyCapBytes: MET_NORWAY_BODY_CAP_BYTES[endpoint],
  };
}
