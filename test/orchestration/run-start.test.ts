/**
 * The run starter the orchestrator's triggers invoke: execution names (the run id), inputs, idempotency on a
 * redelivered event, S3 keys as EventBridge may deliver them, and what it refuses. Step Functions is mocked with
 * aws-sdk-client-mock.
 */
import { ExecutionAlreadyExists, ExecutionLimitExceeded, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { WeatherContract } from '../../src/contract';
import { ingestBatch } from '../../src/ingestion/private/ingest-batch';
import { RuntimeConfig } from '../../src/ingestion/private/runtime-config';
import { decodeEventKey, isExecutionName, runIdFromScheduledTime, runStartFor, STATE_MACHINE_ARN_ENV } from '../../src/orchestration/private/run-start';
import { handler } from '../../src/orchestration/private/start-run.lambda';
import { fixture } from '../ingestion/local-servers';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Pipeline';
const EXECUTION_ARN = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:Pipeline:${name}`;
const BATCH = '20260507T063000Z';
const MANIFEST = WeatherContract.manifestKey('2026-05-07', BATCH);

const sfn = mockClient(SFNClient);
let logs: jest.SpyInstance;

beforeEach(() => {
  sfn.reset();
  process.env[STATE_MACHINE_ARN_ENV] = STATE_MACHINE_ARN;
  logs = jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  logs.mockRestore();
  delete process.env[STATE_MACHINE_ARN_ENV];
});

/** A Step Functions stand-in that keeps execution names as the service does (same name: ExecutionAlreadyExists). */
function fakeStepFunctions(): { started: Array<{ name: string; input: any }> } {
  const started: Array<{ name: string; input: any }> = [];
  sfn.on(StartExecutionCommand).callsFake((request) => {
    expect(request.stateMachineArn).toBe(STATE_MACHINE_ARN);
    if (started.some((e) => e.name === request.name)) {
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION_ARN(request.name)}'`, $metadata: {} });
    }
    started.push({ name: request.name, input: JSON.parse(request.input) });
    return { executionArn: EXECUTION_ARN(request.name), startDate: new Date() };
  });
  return { started };
}

describe('start-run handler', () => {
  test('the schedule: named after the batch id of the scheduled time, with the input the state machine gets', async () => {
    const { started } = fakeStepFunctions();
    const result = await handler({ scheduledTime: '2026-05-07T06:30:00Z' });
    expect(started).toEqual([{ name: BATCH, input: { scheduledTime: '2026-05-07T06:30:00Z' } }]);
    expect(result).toEqual({ name: BATCH, executionArn: EXECUTION_ARN(BATCH), alreadyStarted: false });
  });

  test('a manifest: named after its batch id, with the manifest key as input', async () => {
    const { started } = fakeStepFunctions();
    await handler({ manifestKey: MANIFEST });
    expect(started).toEqual([{ name: BATCH, input: { manifestKey: MANIFEST } }]);
  });

  test('a URL-encoded key (`=` as %3D) is decoded: same name, the real key in the input', async () => {
    const { started } = fakeStepFunctions();
    const encoded = MANIFEST.replace(/=/g, '%3D');
    expect(encoded).toBe(`weather/manifests/ingest_date%3D2026-05-07/${BATCH}.json`);
    await handler({ manifestKey: encoded });
    expect(started).toEqual([{ name: BATCH, input: { manifestKey: MANIFEST } }]);
  });

  test('a duplicate delivery starts no second run: ExecutionAlreadyExists is success', async () => {
    const { started } = fakeStepFunctions();
    const first = await handler({ manifestKey: MANIFEST });
    const again = await handler({ manifestKey: MANIFEST });
    // The same batch, its key encoded this time: still the same execution.
    const encoded = await handler({ manifestKey: MANIFEST.replace(/=/g, '%3D') });
    expect(started).toHaveLength(1);
    expect(first.alreadyStarted).toBe(false);
    expect(again).toEqual({ name: BATCH, executionArn: EXECUTION_ARN(BATCH), alreadyStarted: true });
    expect(encoded.alreadyStarted).toBe(true);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(3);
  });

  test('the manifest of a scheduled batch does not start a second run of it (same name)', async () => {
    const { started } = fakeStepFunctions();
    await handler({ scheduledTime: '2026-05-07T06:30:00Z' });
    const manifest = await handler({ manifestKey: MANIFEST });
    expect(started.map((e) => e.name)).toEqual([BATCH]);
    expect(manifest.alreadyStarted).toBe(true);
  });

  test('other Step Functions errors fail the invocation, so that it is retried and then dead-lettered', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionLimitExceeded({ message: 'Execution limit exceeded', $metadata: {} }));
    await expect(handler({ manifestKey: MANIFEST })).rejects.toThrow('Execution limit exceeded');
    const throttled = new Error('Rate exceeded');
    throttled.name = 'ThrottlingException';
    sfn.on(StartExecutionCommand).rejects(throttled);
    await expect(handler({ scheduledTime: '2026-05-07T06:30:00Z' })).rejects.toThrow('Rate exceeded');
  });

  test.each([
    ['a key outside the manifest prefix', { manifestKey: 'weather/raw/source=open-meteo/ingest_date=2026-05-07/city=lyon/x.json' }, 'manifestKey must be weather/manifests/'],
    ['a key that is not a manifest', { manifestKey: 'weather/manifests/ingest_date=2026-05-07/notes.txt' }, 'manifestKey must be'],
    ['a batch id with a space (`+` in the event)', { manifestKey: 'weather/manifests/ingest_date=2026-05-07/my+batch.json' }, 'manifestKey must be'],
    ['a batch id with an encoded `/`', { manifestKey: 'weather/manifests/ingest_date=2026-05-07/a%2Fb.json' }, 'manifestKey must be'],
    ['a scheduled time that is no time', { scheduledTime: 'yesterday' }, 'scheduledTime must be an ISO 8601 time, got "yesterday"'],
    ['both fields', { scheduledTime: '2026-05-07T06:30:00Z', manifestKey: MANIFEST }, 'either scheduledTime'],
    ['neither field', {}, 'either scheduledTime'],
  ])('refuses %s, and starts nothing', async (_what, event, message) => {
    fakeStepFunctions();
    await expect(handler(event as any)).rejects.toThrow(message);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('without the state machine ARN in its environment, it fails', async () => {
    delete process.env[STATE_MACHINE_ARN_ENV];
    await expect(handler({ manifestKey: MANIFEST })).rejects.toThrow(`${STATE_MACHINE_ARN_ENV} is not set`);
  });
});

describe('run ids and execution names', () => {
  test('a batch id with a `.` is passed as batchId, so that the run id is the whole batch id (the name)', () => {
    const key = WeatherContract.manifestKey('2026-05-07', 'reload.v2');
    expect(runStartFor({ manifestKey: key })).toEqual({ name: 'reload.v2', input: { manifestKey: key, batchId: 'reload.v2' } });
    const backfill = WeatherContract.manifestKey('2026-05-07', 'backfill-20260501-20260506');
    expect(runStartFor({ manifestKey: backfill })).toEqual({ name: 'backfill-20260501-20260506', input: { manifestKey: backfill } });
  });

  test('the scheduled run id is the batch id the ingestion gives the same request', async () => {
    const config: RuntimeConfig = {
      bucket: 'landing',
      cities: [{ name: 'Lyon', latitude: 45.764, longitude: 4.8357 }],
      apiBaseUrl: 'http://api.test',
      archiveApiBaseUrl: 'http://archive.test',
      pastDays: 1,
      forecastDays: 7,
      maxConcurrentRequests: 1,
      retry: { maxAttempts: 1, requestTimeoutMs: 1_000, backoffBaseMs: 1, backoffMaxMs: 1 },
    };
    const body = fixture('forecast-gyor-gmt-48h.json');
    for (const scheduledTime of ['2026-05-07T06:30:00Z', '2026-05-07T06:30:00.123Z', '2026-05-07T08:30:00+02:00', '2026-12-31T23:59:59Z']) {
      const ingested = await ingestBatch({ scheduledTime }, config, {
        putObject: async () => undefined,
        log: () => undefined,
        fetchOptions: { fetchImpl: (async () => new Response(body)) as typeof fetch },
      });
      expect([scheduledTime, runIdFromScheduledTime(scheduledTime)]).toEqual([scheduledTime, ingested.batchId]);
      expect(runStartFor({ scheduledTime }).name).toBe(ingested.batchId);
    }
  });

  test('decodeEventKey decodes %XX only and leaves a plain key as it is', () => {
    expect(decodeEventKey(MANIFEST)).toBe(MANIFEST);
    expect(decodeEventKey('weather/manifests/ingest_date%3D2026-05-07/x.json')).toBe('weather/manifests/ingest_date=2026-05-07/x.json');
    expect(decodeEventKey('a%3d%2Fb')).toBe('a=/b');
    expect(decodeEventKey('a+b')).toBe('a+b');
    expect(decodeEventKey('bad%E9')).toBe('bad%E9');
    expect(decodeEventKey('%C3%A9t%C3%A9')).toBe('été');
  });

  test('names are valid execution names; what Step Functions refuses is caught', () => {
    expect(isExecutionName(BATCH)).toBe(true);
    expect(isExecutionName('a'.repeat(80))).toBe(true);
    for (const name of ['', 'a'.repeat(81), 'a b', 'a:b', 'a/b', 'a%b', 'a\u0007b', 'a{b}', 'a#b']) {
      expect([name, isExecutionName(name)]).toEqual([name, false]);
    }
  });
});
