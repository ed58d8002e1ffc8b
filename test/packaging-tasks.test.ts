import { readFileSync } from 'fs';
import { join } from 'path';

// The packaging tasks build what they package: a wheel packed after a bare `jsii` compile held no Lambda bundle and
// failed at synth ("the handler bundle is missing"). The wheel itself is checked in test/bindings/test_bindings.py.
const tasks = JSON.parse(readFileSync(join(__dirname, '..', '.projen', 'tasks.json'), 'utf-8')).tasks;

test('the library task builds the Lambda bundles, the jsii assembly and post-compile, unless up to date', () => {
  expect(tasks.library.steps).toEqual([{ spawn: 'pre-compile' }, { spawn: 'compile' }, { spawn: 'post-compile' }]);
  expect(tasks.library.condition).toBe('scripts/library-is-stale');
  expect(tasks['pre-compile'].steps).toEqual([{ spawn: 'bundle' }]);
});

test.each(['package:js', 'package:python', 'package:java', 'package:dotnet', 'package:go', 'package:bindings'])(
  '%s builds the library before jsii-pacmak runs',
  (name) => {
    const steps = tasks[name].steps;
    expect(steps[0]).toEqual({ spawn: 'library' });
    expect(steps.slice(1).some((step: any) => step.spawn === 'library')).toBe(false);
  },
);
