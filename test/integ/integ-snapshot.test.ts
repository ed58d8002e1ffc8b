import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { readTemplates, SNAPSHOT_DIR, synthIntegTemplates } from './snapshot';

// The integration test (integ.weather-pipeline.ts) deploys only with an AWS account; offline, its committed
// snapshot must match what it synthesizes. `UPDATE_INTEG_SNAPSHOT=1 npx jest test/integ` rewrites the snapshot.
const templates = synthIntegTemplates();

test('the integration test synthesizes exactly its committed snapshot', () => {
  expect(Object.keys(templates)).toEqual([
    'WeatherPipelineInteg.template.json',
    'WeatherPipelineIntegTestDefaultTestDeployAssertF04CC32B.template.json',
  ]);
  if (process.env.UPDATE_INTEG_SNAPSHOT === '1') {
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    for (const [file, template] of Object.entries(templates)) {
      writeFileSync(join(SNAPSHOT_DIR, file), JSON.stringify(template, null, 1) + '\n');
    }
  }
  expect(existsSync(SNAPSHOT_DIR)).toBe(true);
  expect(templates).toEqual(readTemplates(SNAPSHOT_DIR));
});

test('the assertions start the state machine, wait for success and query the refined table', () => {
  const assertions = JSON.stringify(templates['WeatherPipelineIntegTestDefaultTestDeployAssertF04CC32B.template.json']);
  expect(assertions).toContain('startExecution');
  expect(assertions).toContain('\\"status\\":\\"SUCCEEDED\\"');
  expect(assertions).toContain('startQueryExecution');
  expect(assertions).toContain('getQueryResults');
});
