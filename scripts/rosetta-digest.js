// Prints the sha256 of everything `npx projen rosetta` (jsii-rosetta extract --strict --fail --compile) reads: the jsii
// assembly (the README and every @example block are in it), the fixtures in rosetta/, the installed packages
// (package-lock.json: jsii-rosetta, its TypeScript, the aws-cdk-lib and constructs the examples compile against) and
// the task's own steps. scripts/rosetta-is-stale compares it with the one recorded after the last run.
const { createHash } = require('crypto');
const { existsSync, readdirSync, readFileSync, statSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');

function files(path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full).sort().flatMap((name) => files(join(path, name)));
}

const hash = createHash('sha256');
for (const file of ['.jsii', 'rosetta', 'package-lock.json', 'node_modules/jsii-rosetta/package.json'].flatMap(files)) {
  hash.update(`${file}\0`);
  hash.update(readFileSync(join(root, file)));
  hash.update('\0');
}
const steps = JSON.parse(readFileSync(join(root, '.projen', 'tasks.json'), 'utf-8')).tasks.rosetta.steps;
hash.update(JSON.stringify(steps));
console.log(hash.digest('hex'));
