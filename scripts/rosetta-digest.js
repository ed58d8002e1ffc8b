// Prints the sha256 of everything `npx projen rosetta` (jsii-rosetta extract --strict --fail --compile) reads: the jsii
// assembly (the README and every @example block are in it), the fixtures in rosetta/, the installed packages
// (package-lock.json: jsii-rosetta, its TypeScript, the aws-cdk-lib and constructs the examples compile against) and
// the task's own steps. scripts/rosetta-is-stale compares it with the one recorded after the last run.
const { inputsDigest } = require('./inputs-digest');

console.log(inputsDigest('rosetta', ['.jsii', 'rosetta', 'package-lock.json', 'node_modules/jsii-rosetta/package.json']));
