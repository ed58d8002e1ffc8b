import { readFileSync } from 'fs';
import { join } from 'path';

// `npx projen test` (the typescript lane of the full suite) type-checks the tests too: jest only transpiles them
// (isolatedModules), and a type error in a test file went unnoticed.
const tasks = JSON.parse(readFileSync(join(__dirname, '..', '.projen', 'tasks.json'), 'utf-8')).tasks;

test('the test task type-checks everything tsconfig.dev.json includes before jest runs', () => {
  expect(tasks.test.steps[0]).toEqual({ spawn: 'typecheck' });
  const command: string = tasks.typecheck.steps.map((step: any) => step.exec).join(' && ');
  expect(command).toMatch(/\(tsc --noEmit -p tsconfig\.dev\.json\b/);
  const jest = tasks.test.steps.findIndex((step: any) => (step.exec ?? step.execArgs?.join(' ') ?? '').startsWith('jest'));
  expect(jest).toBeGreaterThan(0);
});

test('a type check is skipped only when everything it reads is what a successful one read', () => {
  // tsc's incremental state still parses every declaration file (~10 s of CPU): a successful check leaves a stamp named
  // after the names and content of every .ts file, the tsconfigs and the lock file, and the check runs unless it exists.
  const command: string = tasks.typecheck.steps.map((step: any) => step.exec).join(' && ');
  expect(command).toContain("find . -name '*.ts' -not -path './node_modules/*' -not -path './.git/*' | LC_ALL=C sort > node_modules/.cache/typecheck-inputs.txt");
  expect(command).toContain('key=$(cat node_modules/.cache/typecheck-inputs.txt $(cat node_modules/.cache/typecheck-inputs.txt) tsconfig.json tsconfig.dev.json package-lock.json | sha256sum');
  expect(command).toMatch(/test -f "node_modules\/\.cache\/typecheck\/\$key" \|\| \(tsc [^)]*&& .*touch "node_modules\/\.cache\/typecheck\/\$key"\)\)$/);
});

test('eslint\'s cache is named after everything the lint reads, so type-aware rules never reuse a stale result', () => {
  const command: string = tasks.eslint.steps.map((step: any) => step.exec).join(' && ');
  expect(command).toContain('$(cat node_modules/.cache/eslint-inputs.txt) .projenrc.ts .eslintrc.json tsconfig.json tsconfig.dev.json package-lock.json | sha256sum');
  expect(command).toMatch(/eslint .*--cache --cache-strategy content --cache-location "node_modules\/\.cache\/eslint\/\$key"/);
});

test('the full suite runs the test task, type-check and eslint included, with jest\'s coverage off', () => {
  const lanes: string = tasks['test:all'].steps.find((step: any) => step.name === 'lanes').exec;
  expect(lanes).toMatch(/'typescript=npx projen test --coverage=false( && [^']*)?'/);
  // The flag reaches jest: the only step of the test task that receives the task's arguments.
  const receiving = tasks.test.steps.filter((step: any) => step.receiveArgs);
  expect(receiving).toEqual([expect.objectContaining({ execArgs: expect.arrayContaining(['jest']) })]);
  expect(tasks.test.steps).toContainEqual({ spawn: 'eslint' });
});

test('jest measures coverage by instrumenting our files (babel), not by v8 coverage of everything it runs', () => {
  // v8 coverage made every suite slower, aws-cdk-lib's code included: 34-62% more jest CPU, babel's about 10%.
  const jest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf-8')).jest;
  expect(jest.coverageProvider).toBe('babel');
  expect(jest.collectCoverage).toBe(true);
});

test('jest runs two test files at a time on 2 cores, not in band (its default there)', () => {
  // A file waiting on its timers or loopback servers leaves the CPU idle; the other worker runs another file meanwhile.
  const jest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf-8')).jest;
  expect(jest.maxWorkers).toBe(2);
});

test('the fast loop builds what its jest suites read and runs Spark in the README commands\' environment', () => {
  // Three suites read the jsii assembly (.jsii): on a fresh clone the loop failed them until a compile ran. And its
  // pytest lane ran without scripts/runtime-env: Hadoop's chmod process per file written, not the project's JVMs.
  const command: string = tasks['test:quick'].steps.map((step: any) => step.exec ?? '').join(' ');
  const lane = (name: string) => command.match(new RegExp(`'${name}=([^']*)'`))?.[1] ?? '';
  expect(lane('jest')).toMatch(/^npx projen library && npx projen typecheck && npx jest .*--coverage=false/);
  expect(lane('pytest')).toMatch(/source scripts\/runtime-env && \.venv\/bin\/python -m pytest /);
  expect(tasks.library.condition).toBe('scripts/library-is-stale');
});

test('jest gives its workers time to exit on a loaded machine, past the 1.3 s they took beside the other lanes', () => {
  // .projenrc.ts (jestConfig.workerGracefulExitTimeout) has the measurement.
  const jest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf-8')).jest;
  expect(jest.workerGracefulExitTimeout).toBeGreaterThanOrEqual(2_000);
});
