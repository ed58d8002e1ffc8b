// Prints the sha256 of everything the binding packages (dist/python, dist/java, dist/go) are built from; see
// test/bindings/bindings-are-stale, which compares it with the one recorded after the last build.
const { inputsDigest } = require('../../scripts/inputs-digest');

console.log(inputsDigest('package:bindings', [
  // What jsii-pacmak packs (npm pack) and reads: the package, its assembly and the examples' translations.
  'package.json', '.jsii', '.jsii.tabl.json', 'README.md', 'API.md', 'LICENSE', 'lib', 'assets',
  // How the packages are built.
  'node_modules/jsii-pacmak/package.json', 'node_modules/jsii-rosetta/package.json', 'scripts/build_tools.py',
  'test/bindings/go/build-go-module', 'test/bindings/java/seed-maven-repo',
]));
