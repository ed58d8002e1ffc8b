import { Token } from 'aws-cdk-lib';

/** `value`, when it is a token or an integer in [min, max]; else throws naming `prop`. */
export function checkInteger(prop: string, value: number, min: number, max: number): number {
  if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < min || value > max)) {
    throw new Error(`${prop} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** `value` without trailing slashes, when it is a token or an http(s) URL without query or fragment; else throws naming `prop`. */
export function checkUrl(prop: string, value: string): string {
  if (Token.isUnresolved(value)) {
    return value;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new Error(`${prop} must be an http(s) URL without query or fragment, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}
