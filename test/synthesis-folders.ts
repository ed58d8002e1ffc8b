// The folders CDK synthesizes into when an App has no `outdir`: `fs.mkdtempSync(<system temp>/cdk.out…)`, one per
// synthesis, never removed (about 1 MB each: the templates and a copy of every asset). A full jest run synthesized
// ~360 of them into the system temporary directory and left them there. Each test file now removes, after its last
// test, the folders created while it ran (test/jest-cleanup.ts).
//
// `fs` is a Node core module: jest hands every module registry of a worker the same object, so the wrapper is
// installed once per process and the list of folders lives on it (keyed by a global symbol), not in this module,
// which jest loads again for each test file.
// The module object itself (an `import * as` namespace is read-only).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import fs = require('fs');
import * as os from 'os';
import * as path from 'path';

const STATE = Symbol.for('cdk-weather-pipeline.test.synthesis-folders');

interface State {
  readonly created: string[];
}

function state(): State | undefined {
  return (fs as any)[STATE];
}

/** Wraps `fs.mkdtempSync` (once per process) to record the synthesis folders made in the system temp directory. */
export function trackSynthesisFolders(): void {
  if (state()) {
    return;
  }
  const tracked: State = { created: [] };
  const original = fs.mkdtempSync;
  const temp = fs.realpathSync(os.tmpdir());
  const wrapped = ((prefix: string, options?: any) => {
    const folder = original(prefix, options) as string;
    if (path.basename(prefix) === 'cdk.out' && fs.realpathSync(path.dirname(prefix)) === temp) {
      tracked.created.push(folder);
    }
    return folder;
  }) as typeof fs.mkdtempSync;
  (fs as any).mkdtempSync = wrapped;
  (fs as any)[STATE] = tracked;
}

/** Removes the synthesis folders recorded so far; returns how many. */
export function removeSynthesisFolders(): number {
  const created = state()?.created ?? [];
  const folders = created.splice(0, created.length);
  for (const folder of folders) {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  return folders.length;
}
