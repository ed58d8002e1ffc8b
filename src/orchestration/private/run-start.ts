import { WeatherContract } from '../../contract/weather-contract';

/** The run starter's environment variable holding the ARN of the state machine it starts. */
export const STATE_MACHINE_ARN_ENV = 'STATE_MACHINE_ARN';

/**
 * What the run starter receives: the input the state machine gets from a trigger. The schedule sends
 * `{"scheduledTime": "<aws.scheduler.scheduled-time>"}`; the manifest rule sends `{"manifestKey": <detail.object.key>}`.
 */
export interface StartRunEvent {
  readonly scheduledTime?: string;
  readonly manifestKey?: string;
}

/** The execution the starter starts: its name (the run id) and its input. */
export interface RunStart {
  readonly name: string;
  readonly input: { [key: string]: string };
}

/** `weather/manifests/ingest_date=<yyyy-MM-dd>/<batchId>.json`, the batch id captured. */
const MANIFEST_KEY = new RegExp(`^${escapeRegex(WeatherContract.LANDING_MANIFEST_PREFIX)}ingest_date=\\d{4}-\\d{2}-\\d{2}/`
  + `(${WeatherContract.BATCH_ID_PATTERN.slice(1, -1)})\\.json$`);

/**
 * Step Functions execution names: 1 to 80 characters, none of whitespace, `< > { } [ ] ? * " # % \ ^ | ~ \` $ & , ; : /`
 * or control characters (StartExecution API reference). Run ids (`WeatherContract.BATCH_ID_PATTERN`: letters,
 * digits, `.`, `_`, `-`, at most 64) always are; this is the check before the call.
 */
const EXECUTION_NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

/** Whether Step Functions accepts `name` as an execution name. */
export function isExecutionName(name: string): boolean {
  return name.length >= 1 && name.length <= 80 && !EXECUTION_NAME_FORBIDDEN.test(name)
    && ![...name].some((c) => c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
}

/**
 * The run id of a scheduled run: the scheduled time in ISO 8601 basic format (`2026-05-07T06:30:00Z` →
 * `20260507T063000Z`), the batch id the ingestion function gives a request with this `scheduledTime` and no
 * `batchId` (see `IngestionRequest.batchId`; test/orchestration/run-start.test.ts holds both to the same answer).
 */
export function runIdFromScheduledTime(scheduledTime: unknown): string {
  return WeatherContract.scheduledBatchId(scheduledTime as string);
}

/**
 * Decodes an object key taken from an S3 event, defensively.
 *
 * S3's event notifications to SQS, SNS and Lambda URL-encode the key (form encoding: "red flower.jpg" becomes
 * "red+flower.jpg"; https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 * The EventBridge event reference (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html, "Event
 * message detail field") says nothing of encoding and shows plain keys, while Powertools for AWS Lambda (Python)
 * applies `unquote_plus` to `detail.object.key` of S3 EventBridge events (S3EventBridgeNotificationObject.key).
 * So a manifest key such as `weather/manifests/ingest_date=2026-05-07/20260507T063000Z.json` may arrive as is or
 * with `=` as `%3D`. The EventBridge rule still matches: its prefix, `weather/manifests/`, has nothing to encode.
 *
 * Only `%XX` sequences are decoded. A manifest key cannot hold `%`, `+` or a space (batch ids are letters, digits,
 * `.`, `_` and `-`), so decoding a plain valid key changes nothing, and a key with `+` (an encoded space or a
 * real `+`) is invalid either way: `runStartFor` rejects it.
 */
export function decodeEventKey(key: string): string {
  return key.replace(/(%[0-9A-Fa-f]{2})+/g, (sequence) => {
    try {
      return decodeURIComponent(sequence);
    } catch {
      // Not UTF-8: leave it, the key check rejects it.
      return sequence;
    }
  });
}

/**
 * The run id of a manifest run, as the state machine computes it when the input has no `batchId`: the
 * manifest's file name up to its first `.` (the state machine's `Run manifest batch` state).
 */
export function runIdFromManifestKey(manifestKey: string): string {
  const fileName = manifestKey.split('/').pop() ?? '';
  return fileName.split('.')[0];
}

/**
 * The execution a trigger's event starts: named after its run id, with the input the state machine gets.
 *
 * - `{scheduledTime}`: the same input; the name is the batch id the ingestion step will use.
 * - `{manifestKey}`: the key, decoded; the name is the manifest's batch id (its file name without `.json`). When
 *   the batch id has a `.`, where the state machine's default run id would stop, the input also names the batch
 *   (`batchId`), so the run id is the whole batch id and is the execution's name.
 *
 * Throws on anything else, and on a manifest key outside the contract.
 */
export function runStartFor(event: StartRunEvent | null | undefined): RunStart {
  const scheduledTime = event?.scheduledTime;
  const rawKey = event?.manifestKey;
  let start: RunStart;
  if (rawKey !== undefined && scheduledTime === undefined) {
    if (typeof rawKey !== 'string') {
      throw new Error(`manifestKey must be a string, got ${JSON.stringify(rawKey)}`);
    }
    const manifestKey = decodeEventKey(rawKey);
    const match = MANIFEST_KEY.exec(manifestKey);
    if (!match) {
      throw new Error(`manifestKey must be ${WeatherContract.LANDING_MANIFEST_PREFIX}ingest_date=<yyyy-MM-dd>/<batchId>.json `
        + `with a batch id matching ${WeatherContract.BATCH_ID_PATTERN}, got ${JSON.stringify(rawKey)}`);
    }
    const batchId = match[1];
    start = runIdFromManifestKey(manifestKey) === batchId
      ? { name: batchId, input: { manifestKey } }
      : { name: batchId, input: { manifestKey, batchId } };
  } else if (scheduledTime !== undefined && rawKey === undefined) {
    start = { name: runIdFromScheduledTime(scheduledTime), input: { scheduledTime } };
  } else {
    throw new Error(`the event must have either scheduledTime (the schedule) or manifestKey (the manifest rule), got ${JSON.stringify(event)}`);
  }
  if (!isExecutionName(start.name)) {
    throw new Error(`"${start.name}" is not a valid execution name`);
  }
  return start;
}

/** `arn:<p>:states:<r>:<a>:stateMachine:<name>` → `arn:<p>:states:<r>:<a>:execution:<name>:<executionName>`. */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(/:stateMachine:/, ':execution:')}:${executionName}`;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
