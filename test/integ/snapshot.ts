// Synthesizes the integration test app and returns its templates with asset hashes masked, by file name.
// integ-runner 2.197 (the newest) cannot read the cloud assembly schema aws-cdk-lib 2.276 writes, so the test
// command verifies the committed snapshot with this instead (test/integ/integ-snapshot.test.ts); a deployment
// with integ-runner needs a release of it that supports the schema.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export const SNAPSHOT_DIR = join(__dirname, 'integ.weather-pipeline.ts.snapshot');

export function synthIntegTemplates(): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), 'integ-'));
  const previous = process.env.CDK_OUTDIR;
  process.env.CDK_OUTDIR = outdir;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('./integ.weather-pipeline');
    });
    return readTemplates(outdir);
  } finally {
    if (previous === undefined) {
      delete process.env.CDK_OUTDIR;
    } else {
      process.env.CDK_OUTDIR = previous;
    }
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function readTemplates(dir: string): Record<string, unknown> {
  const templates: Record<string, unknown> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort()) {
    // Asset hashes change with every bundle; the assertion provider's salt is the synthesis time.
    const text = readFileSync(join(dir, file), 'utf-8')
      .replace(/[0-9a-f]{64}(\.(zip|py|json))?/g, '<asset-hash>$1')
      .replace(/"salt": ?"\d+"/g, '"salt": "<synthesis-time>"');
    templates[file] = JSON.parse(text);
  }
  return templates;
}
