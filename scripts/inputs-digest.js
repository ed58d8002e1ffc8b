// The sha256 of what a projen task reads, for the tasks that run only when it changed (scripts/rosetta-is-stale,
// test/bindings/bindings-are-stale): every file under the given paths (relative to the repository; a missing path
// counts as no file), in a fixed order, each with its path, then the task's own steps from .projen/tasks.json.
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

function inputsDigest(task, paths) {
  const hash = createHash('sha256');
  for (const file of paths.flatMap(files)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  const steps = JSON.parse(readFileSync(join(root, '.projen', 'tasks.json'), 'utf-8')).tasks[task].steps;
  hash.update(JSON.stringify(steps));
  return hash.digest('hex');
}

module.exports = { inputsDigest };
