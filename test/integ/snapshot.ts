// Synthesizes the integration test app and returns its templates with asset hashes masked, by file name.
// integ-runner 2.197.10 (the newest release) reads cloud assembly schema 53 at most, and every aws-cdk-lib with
// the Glue L2 constructs (2.270 and later; we build against 2.271) writes schema 54 or 55 ("Maximum schema version
// supported is 53.x.x, but found 54.0.0"), so the test command verifies the committed snapshot with this instead
// (test/integ/integ-snapshot.test.ts); a deployment with integ-runner needs a release of it that reads schema 54.
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
