// Loads this repository's TypeScript in Node.js for the local run's steps (ingest.ts, catalog.ts, plan.ts and the
// examples app's synthesis): `node -r ./examples/local-run/ts-register.js file.ts args...`. Each .ts module is
// transpiled when it is loaded, by esbuild (the project's bundler), with the compiler options of tsconfig.json that
// change the emitted code (target, class fields, decorators). Types are not checked here: `npx projen typecheck`
// checks the examples, tests and scripts. It starts in about half the CPU time of ts-node, which loads the TypeScript
// compiler for every step of the run; module paths, and so `__dirname`, stay those of the .ts files.
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..', '..');
// projen writes a comment line at the top of tsconfig.json.
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf-8').replace(/^\s*\/\/.*$/gm, ''));
const options = { loader: 'ts', format: 'cjs', platform: 'node', tsconfigRaw: { compilerOptions: tsconfig.compilerOptions } };

require.extensions['.ts'] = (module, filename) => {
  const { code } = esbuild.transformSync(fs.readFileSync(filename, 'utf-8'), { ...options, sourcefile: filename });
  module._compile(code, filename);
};
