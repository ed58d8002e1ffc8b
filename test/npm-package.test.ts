import { execFileSync } from 'child_process';
import { join } from 'path';

// What `npm install cdk-weather-pipeline` downloads: the compiled library, its Lambda bundles, the Glue script and
// its contract, the jsii assembly and the docs, and nothing of the repository's own tooling.
const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
  cwd: join(__dirname, '..'),
  encoding: 'utf-8',
  stdio: ['ignore', 'pipe', 'ignore'],
}))[0];
const files: string[] = packed.files.map((file: { path: string }) => file.path);

test('ships the library, its Lambda bundles, the Glue script and the jsii assembly', () => {
  for (const path of ['lib/index.js', 'lib/index.d.ts', 'lib/etl/script/weather_etl.py', 'lib/etl/script/contract.json', '.jsii', 'README.md', 'API.md', 'LICENSE']) {
    expect(files).toContain(path);
  }
  expect(files.filter((path) => path.startsWith('assets/') && path.endsWith('/index.js')).length).toBeGreaterThan(0);
});

test('ships none of the repository tooling: sources, tests, examples, benchmarks, docs, scripts, Python setup', () => {
  const tooling = files.filter((path) => /^(src|test|examples|bench|docs|scripts|rosetta|projenrc|\.projen|\.ci|\.venv|\.tools)\//.test(path)
    || /^(pytest\.ini|conftest\.py|requirements-.*\.txt|\.projenrc\.ts|tsconfig\.dev\.json)$/.test(path)
    || /(^|\/)(__pycache__|tests)\//.test(path));
  expect(tooling).toEqual([]);
});
