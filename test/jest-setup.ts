// Runs before each jest test file (jestConfig.setupFiles in .projenrc.ts).
//
// aws-cdk-lib validates every synthesized template with its "CloudFormation Validate" plugin, a WebAssembly engine
// that it starts once per module registry: once per jest test file, about 2.5 s of CPU each, plus about 1 s for the
// first template it checks. In its default mode the plugin only prints warnings, so it never failed a test; the suite
// turns it off here and runs it on purpose, strictly, in test/compliance/cfn-validation.test.ts.
// `CDK_VALIDATION=true npx jest` turns it back on everywhere.
process.env.CDK_VALIDATION ??= 'false';
