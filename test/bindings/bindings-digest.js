// Prints the sha256 of everything the binding packages (dist/python, dist/java, dist/go) are built from; see
// test/bindings/bindings-are-stale, which compares it with the one recorded after the last build.
const { createHash } = require('crypto');
const { existsSync, readdirSync, readFileSync, statSync } = require('fs');
const { join, relative } = require('path');

const root = join(__dirname, '..', '..');

function files(path) {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full).sort().flatMap((name) => files(join(path, name)));
}

const hash = createHash('sha256');
const inputs = [
  // What jsii-pacmak packs (npm pack) and reads: the package, its assembly and the examples' translations.
  'package.json', '.jsii', '.jsii.tabl.json', 'README.md', 'API.md', 'LICENSE', 'lib', 'assets',
  // How the packages are built.
  'node_modules/jsii-pacmak/package.json', 'node_modules/jsii-rosetta/package.json', 'scripts/build_tools.py',
  'test/bindings/go/build-go-module', 'test/bindings/java/seed-maven-repo',
];
for (const file of inputs.flatMap(files)) {
  hash.update(`${relative(root, join(root, file))}\0`);
  hash.update(readFileSync(join(root, file)));
  hash.update('\0');
}
const steps = JSON.parse(readFileSync(join(root, '.projen', 'tasks.json'), 'utf-8')).tasks['package:bindings'].steps;
hash.update(JSON.stringify(steps));
console.log(hash.digest('hex'));
