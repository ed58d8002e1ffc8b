import { awscdk, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-weather-pipeline',
  description:
    'A production-grade weather data lake in a few lines of CDK: Open-Meteo ingestion, S3 landing and refined zones, a Glue Spark ETL, Athena tables and a Step Functions orchestrator.',
  author: 'cdk-weather-pipeline developers',
  authorAddress: 'weather-pipeline@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk-weather-pipeline/cdk-weather-pipeline.git',
  keywords: ['cdk', 'aws-cdk', 'weather', 'data-lake', 'glue', 'athena', 'step-functions', 'open-meteo'],
  license: 'Apache-2.0',

  cdkVersion: '2.271.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // The development tsconfig lives at the top level, next to tsconfig.json.
  tsconfigDevFile: 'tsconfig.dev.json',

  // No hosted CI: `.ci/run` runs the README's test command.
  github: false,
  release: false,
  sampleCode: false,

  publishToPypi: {
    distName: 'cdk-weather-pipeline',
    module: 'cdk_weather_pipeline',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkweatherpipeline',
    mavenGroupId: 'io.github.cdk-weather-pipeline',
    mavenArtifactId: 'cdk-weather-pipeline',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkWeatherPipeline',
    packageId: 'CdkWeatherPipeline',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-weather-pipeline/cdk-weather-pipeline-go',
  },

  devDeps: [
    // aws-cdk-lib 2.271 depends on this jsii module without bundling it: jsii must find it at the top level.
    '@aws-cdk/cloud-assembly-schema@^54.24.0',
    'cdk-nag@^3.0.2',
    '@aws-sdk/client-s3@^3',
    '@aws-sdk/client-athena@^3',
    // The run-metrics publisher reads Glue job runs (DPU-seconds); the Lambda runtime provides the SDK.
    '@aws-sdk/client-glue@^3',
    // The orchestrator's run starter names executions after the run id (StartExecution).
    '@aws-sdk/client-sfn@^3',
    '@types/aws-lambda@^8',
    'aws-sdk-client-mock@^4',
    'esbuild',
    'aws-local-stepfunctions@^3',
    'asl-validator@^4',
    // The examples app (`npx cdk synth`) and its integration test (integ-runner snapshot, verified offline).
    'aws-cdk@^2',
    '@aws-cdk/integ-runner@^2',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
  ],

  // Lambda handlers are `*.lambda.ts` files, bundled with esbuild at build time: listed below (lambdaHandlers), not
  // auto-discovered, so that projen generates a `*-function.ts` class only for the handlers that use one.
  lambdaAutoDiscover: false,

  // Lint everything TypeScript in the repo against the development tsconfig (which includes test/ and scripts/).
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'scripts', 'examples', 'projenrc'],
    fileExtensions: ['.ts'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
  },

  jestOptions: {
    jestConfig: {
      // Synthesizing stacks and running cdk-nag is CPU heavy on a 2-core machine.
      testTimeout: 120_000,
      // CDK's default template validation is off in the test files but one (test/jest-setup.ts says why).
      setupFiles: ['<rootDir>/test/jest-setup.ts'],
      // Each test file removes the folders its syntheses made in the system temp directory (test/synthesis-folders.ts).
      setupFilesAfterEnv: ['<rootDir>/test/jest-cleanup.ts'],
      // Coverage (`npx projen test`, into coverage/) by instrumenting our files only, once (jest caches the instrumented
      // code): about 10% more jest CPU than none, where v8's, which slows every module including aws-cdk-lib, cost
      // 34-62% more (5 suites, alternated runs). The full suite's jest runs without coverage (test:all below).
      coverageProvider: 'babel',
      // Two workers on 2 cores (jest's default is one fewer than the cores: in band). A file's tests wait on timers and
      // loopback servers (the ingestion handler's timeouts, the interpreter's execution timeout) with the CPU idle;
      // a second worker runs another file meanwhile. Each file has a module registry of its own either way, so the
      // CPU is the same: the whole jest run, two alternated pairs at load 15-23, in band 78.0 and 74.3 s of CPU (672
      // and 471 s wall), two workers 72.6 and 79.2 s (294 and 371 s wall).
      maxWorkers: 2,
      // A worker exits once its event loop is empty; jest kills one that takes longer than this ("A worker process has
      // failed to exit gracefully"), a warning in some fresh-clone CIs. Measured (2026-12-03, the whole jest run): idle,
      // the workers took 196 and 208 ms to exit; with four busy processes on the 2 cores, as the other lanes load them,
      // 539-1,264 ms, past jest's default 500 ms, and the warning appeared; with 5 s it did not. No handle was left
      // behind (--detectOpenHandles, and a per-file listing of each worker's active handles). A worker that holds a
      // handle is still killed, with the warning, after 5 s.
      workerGracefulExitTimeout: 5_000,
    },
    // Snapshots are checked, never silently rewritten: update them on purpose with `npx jest -u`.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
  },

  gitignore: ['/.tools/', '/.venv/', '/.venv-*/', '/.jsii.tabl.json', '__pycache__/', '*.pyc', '.pytest_cache/', '/.local-run/', '/cdk.out/', '/examples/cdk.out/'],
});

// The Lambda handlers. The orchestrator's two use the function class projen generates next to them; the ingestion's
// and the run-metrics publisher's build their lambda.Function from the bundle folder with configuration files beside
// it (src/private/code-asset.ts), so they get the bundle only (a generated class would be dead public API).
const lambdaRuntime = awscdk.LambdaRuntime.NODEJS_24_X;
const lambdaBundling = { externals: ['@aws-sdk/*'], sourcemap: true };
for (const entrypoint of ['src/orchestration/private/start-run.lambda.ts', 'src/orchestration/private/validation-plan.lambda.ts']) {
  new awscdk.LambdaFunction(project, { entrypoint, cdkDeps: project.cdkDeps, runtime: lambdaRuntime, bundlingOptions: lambdaBundling });
}
for (const entrypoint of ['src/ingestion/ingest.lambda.ts', 'src/monitoring/publish-run-metrics.lambda.ts']) {
  project.eslint?.allowDevDeps(entrypoint);
  project.bundler.addBundle(entrypoint, {
    target: lambdaRuntime.esbuildTarget,
    platform: lambdaRuntime.esbuildPlatform,
    ...lambdaBundling,
    tsconfigPath: project.tsconfigDev.fileName,
  });
}

// Lint and type-check the projen config itself with the development tsconfig.
project.tsconfigDev.addInclude('.projenrc.ts');

// jest only transpiles (tsconfig.dev.json has isolatedModules, so ts-jest type-checks nothing) and the jsii compile
// checks src/ alone: this checks everything tsconfig.dev.json includes (tests, scripts, examples, .projenrc.ts), first
// in `npx projen test`. Incremental: its build info, kept in node_modules/.cache, spares unchanged files next time.
// tsc's incremental state spares checking unchanged files, not parsing the 1.2 million lines of declarations
// (aws-cdk-lib): ~10 s of CPU on an unchanged tree. So a successful check is recorded under a name made from everything
// it read (every .ts file's name and content, the tsconfigs, the lock file) and not run again while that stays the
// same: the result could only be the same.
//
// `inputsKey` is the shell of that name, shared with the eslint task below: the files `find` lists, sorted, kept in
// `list`, then one sha256 (16 hex digits, in $key) of the list, the listed files' content and `files`.
function inputsKey(find: string, list: string, files: string[]): string {
  return `${find} | LC_ALL=C sort > ${list} && key=$(cat ${list} $(cat ${list}) ${files.join(' ')} | sha256sum | cut -c1-16)`;
}
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the sources, tests, scripts and examples (tsc --noEmit -p tsconfig.dev.json)',
  exec: [
    'mkdir -p node_modules/.cache/typecheck &&',
    inputsKey("find . -name '*.ts' -not -path './node_modules/*' -not -path './.git/*'", 'node_modules/.cache/typecheck-inputs.txt',
      ['tsconfig.json', 'tsconfig.dev.json', 'package-lock.json']),
    '&& (test -f "node_modules/.cache/typecheck/$key"',
    '|| (tsc --noEmit -p tsconfig.dev.json --incremental --tsBuildInfoFile node_modules/.cache/tsconfig.dev.tsbuildinfo',
    '&& rm -rf node_modules/.cache/typecheck && mkdir node_modules/.cache/typecheck && touch "node_modules/.cache/typecheck/$key"))',
  ].join(' '),
});
project.testTask.prependSpawn(typecheck);

// eslint with its cache (node_modules/.cache/eslint/): linting an unchanged tree again costs ~2 s of CPU instead of ~20.
// The rules that use types (no-floating-promises, return-await) read other files than the one they lint, which
// eslint's per-file cache cannot see: so the cache is named after everything the lint reads (the TypeScript files'
// names and content, the eslint and TypeScript configurations, the lock file), any change lints every file again,
// and the results are always those of a lint without cache.
// (projen runs task commands in its own portable shell: no command grouping.)
const eslint: any = project.eslint!;
// projen rewrites the task whenever a lint pattern is added (.projenrc.ts's own is added at synthesis): this follows.
const projenEslintTask = eslint.updateTask.bind(eslint);
eslint.updateTask = () => {
  projenEslintTask();
  eslint.eslintTask.reset([
    'mkdir -p node_modules/.cache/eslint &&',
    inputsKey("find src test scripts examples projenrc -name '*.ts' -not -path '*/node_modules/*' -not -path '*/cdk.out/*'",
      'node_modules/.cache/eslint-inputs.txt', ['.projenrc.ts', '.eslintrc.json', 'tsconfig.json', 'tsconfig.dev.json', 'package-lock.json']),
    '&& find node_modules/.cache/eslint -type f ! -name "$key" -delete',
    '&& eslint --ext .ts --fix --no-error-on-unmatched-pattern --cache --cache-strategy content',
    '--cache-location "node_modules/.cache/eslint/$key"',
    eslint.lintPatterns.join(' '),
  ].join(' '), { receiveArgs: true });
};
eslint.updateTask();

// The npm package holds the library (lib/, its Lambda bundles in assets/, the Glue script), .jsii, README and API.md:
// not the repository's examples, benchmarks, docs or Python test setup (test/npm-package.test.ts checks the list).
for (const pattern of ['/.tools/', '/conftest.py', '/.venv/', '/.venv-*/', '__pycache__/', '*.pyc', '.pytest_cache/', '/.local-run/', '/scripts/', '/.ci/', '/requirements-dev.txt', '/requirements-checkers.txt', '/requirements-bench.txt', '/rosetta/', '/examples/', '/bench/', '/docs/', '/pytest.ini']) {
  project.npmignore?.exclude(pattern);
}

// The contract as JSON for the Glue script (a jest test fails when it is stale).
project.addTask('contract', {
  description: 'Write src/etl/script/contract.json from the TypeScript data contract',
  exec: 'ts-node --project tsconfig.dev.json scripts/export-contract.ts',
});

// The AthenaCatalog's SQL and Glue tables as JSON for the Trino tests (test/catalog/queries-json.test.ts fails when stale).
project.addTask('queries', {
  description: 'Write test/catalog/queries.json from the AthenaCatalog (SQL and Glue tables) for the Trino tests',
  exec: 'ts-node --project tsconfig.dev.json scripts/export-queries.ts',
});

// The Python side runs in a project virtualenv with pinned versions; Spark and Trino on the Java runtimes
// scripts/java-env installs from PyPI. Markers (pytest.ini, applied by folder in conftest.py) select a slice.
const pytestCommand = 'scripts/python-env && .venv/bin/python -m pytest -q';
// "$@": projen splices the arguments in quoted, so `-m "not trino"` stays one argument.
const pytest = project.addTask('test:python', {
  description: 'Run the Python test suite (pytest) in the project virtualenv; pass -m "<markers>" for a slice',
  exec: `${pytestCommand} "$@"`,
  receiveArgs: true,
});

// The Glue script and its contract ship inside the npm package, next to the compiled GlueEtlJob.
project.postCompileTask.exec('mkdir -p lib/etl/script && cp src/etl/script/weather_etl.py src/etl/script/contract.json lib/etl/script/');
// The assembly's README (the Python, Java, Go and .NET packages' README) shows each example once: README.md's
// hand-written Python blocks would sit next to rosetta's translation of the TypeScript block before them.
project.postCompileTask.exec('node scripts/assembly-readme.js');

// The language bindings the binding tests use for real (test/bindings): the Python wheel and the Java jar (a Maven
// repository in dist/java), and the Go module compiled (dist/go). .NET is configured for release but has no SDK on the
// test machines.
// jsii-pacmak builds the jar with Maven in ~/.m2/repository (a cache the Java test app shares) rather than in an empty
// repository of its own on every build. Maven Central's maven-metadata.xml, as served here, lists aws-cdk-lib only up
// to 2.263.0, so seed-maven-repo first installs our aws-cdk-lib from Maven Central there as a local artifact: the
// range the jar's pom starts from, [2.271.0,3.0.0), then resolves (to 2.271.0).
// What the packages hold: the Lambda bundles (assets/), the jsii assembly and lib/, the Glue script next to lib/
// (post-compile). Every packaging task builds it first, so a wheel never ships without its handler bundles;
// scripts/library-is-stale skips it when nothing changed since the last build (as after `npx projen build`).
const library = project.addTask('library', {
  description: 'Build what the packages hold (Lambda bundles, jsii compile, post-compile), unless it is up to date',
  condition: 'scripts/library-is-stale',
  steps: [{ spawn: 'pre-compile' }, { spawn: 'compile' }, { spawn: 'post-compile' }],
});
for (const name of ['package:js', 'package:java', 'package:python', 'package:dotnet', 'package:go']) {
  project.tasks.tryFind(name)?.prependSpawn(library);
}
const bindings = project.addTask('package:bindings', {
  description: 'Build the Python and Java packages with jsii-pacmak (dist/python, dist/java) for the binding tests, and compile the Go module (dist/go)',
});
bindings.spawn(library);
// The packages are built again only when what they are built from changed since the last build (the package's files,
// jsii-pacmak, the tools, these steps: test/bindings/bindings-are-stale), as the library is: the full suite compiles
// the library every time, but an unchanged library gives byte-identical packages.
const bindingsAreStale = 'test/bindings/bindings-are-stale';
// Maven, a Java compiler and Go come from the package registries into .tools/ (scripts/build-tools), not from the
// machine: `scripts/build-tools exec` runs each step with them first on PATH.
bindings.exec('scripts/build-tools exec test/bindings/java/seed-maven-repo', { condition: bindingsAreStale });
bindings.exec('scripts/build-tools exec jsii-pacmak -v --target python --target java --maven-local-repository="$HOME/.m2/repository"', { condition: bindingsAreStale });
// The Go module: generated by jsii-pacmak, then compiled with `go build` and `go vet` (test/bindings/go/build-go-module
// explains the fallback when the Go proxy does not serve our exact aws-cdk-lib release).
bindings.exec('scripts/build-tools exec test/bindings/go/build-go-module', { condition: bindingsAreStale });
bindings.exec(`${bindingsAreStale} --record`, { condition: bindingsAreStale });
// The release packages of the two languages that need those tools build with them too.
for (const language of ['java', 'go']) {
  const task = project.tasks.tryFind(`package:${language}`);
  task?.reset();
  task?.spawn(library);
  task?.exec(`scripts/build-tools exec jsii-pacmak -v --target ${language}`);
}

// The code examples (README.md and the @example blocks) compile in strict mode, so they translate to every language.
// Skipped when they compiled already from exactly what the task reads now (the assembly, the fixtures, the installed
// packages, these steps: scripts/rosetta-is-stale), as package:bindings is: the full suite compiles the library every
// time, but an unchanged library gives a byte-identical assembly, and compiling the examples costs ~30 s of CPU.
const rosettaIsStale = 'scripts/rosetta-is-stale';
project.addTask('rosetta', {
  description: 'Compile the README and @example code examples with jsii-rosetta --strict (fixture: rosetta/default.ts-fixture), unless they compiled from the same inputs already',
  condition: rosettaIsStale,
  steps: [
    { exec: 'jsii-rosetta extract --strict --fail --compile --output dist/rosetta/tablet.json .jsii' },
    { exec: `${rosettaIsStale} --record` },
  ],
});

// Everything the project has: projen synthesis, Lambda bundles, jsii compile, API.md, then four independent lanes side
// by side (scripts/lanes): jest + eslint; the rosetta examples, the Python, Java and Go packages (jsii-pacmak), the
// binding tests, the template checkers and the tests that start their own processes (the Glue script's command, the
// README's local-run command: marker own_process) in the lane that is otherwise the shortest; the Glue script's
// tests; the SQL on Trino and the local runs on the lane's shared Trino. Nothing is left out: the three pytest lanes'
// markers select every test once (test/tooling/test_suite_lanes.py).
// On CI, generated files and eslint --fix must leave the tree as committed.
project.addTask('test:all', {
  description: 'Run every test the project has (the README test command calls this)',
  steps: [
    { spawn: 'default' },
    { spawn: 'pre-compile' },
    { spawn: 'compile' },
    { spawn: 'post-compile' },
    {
      name: 'lanes',
      exec: [
        'scripts/lanes',
        // Without coverage (see jestOptions); `npx projen test` alone writes the coverage report. jest runs on two
        // workers (jestOptions says why).
        // The tests of the project's own scripts (pytest -m tooling: no JVM) follow jest in this lane, the one with
        // the least CPU of the four, so that the lanes end closer together; so do the Glue script tests marked
        // spark_side, in a second Spark process: the Spark lane was the last to end, alone, ~100 s after the others.
        `'typescript=npx projen test --coverage=false && npx projen ${pytest.name} -m \"tooling or spark_side\"'`,
        // rosetta first: jsii-pacmak then reuses its translations (.jsii.tabl.json) instead of translating live.
        `'bindings=npx projen rosetta && npx projen ${bindings.name} && npx projen ${pytest.name} -m \"bindings or checkers or own_process\"'`,
        `'spark=npx projen ${pytest.name} -m \"not bindings and not checkers and not trino and not own_process and not tooling and not spark_side\"'`,
        `'trino=npx projen ${pytest.name} -m \"trino and not own_process\"'`,
      ].join(' '),
    },
    { name: 'generated files are committed', exec: 'scripts/check-generated' },
  ],
});

// The contributor's loop: the TypeScript tests (jest, no eslint, no coverage) and the Python tests that need neither
// Trino, the packages, the local run nor the template checkers (the Glue script's tests on local Spark). Three jest
// suites read the jsii assembly, so the jest lane builds the library first when it is stale (`library`, skipped when
// up to date), while the Spark lane starts; the Spark lane runs in the README commands' environment (the Java
// runtimes, the local file system without a `chmod` per file). The full suite stays `scripts/test`.
project.addTask('test:quick', {
  description: 'The fast loop: jest and the Glue script\'s pytest suite (no Trino, packages, local run or checkers)',
  exec: [
    'scripts/lanes',
    `'jest=npx projen ${library.name} && npx projen typecheck && npx jest --ci --coverage=false'`,
    '\'pytest=scripts/python-env && source scripts/runtime-env && .venv/bin/python -m pytest -q -m \"not trino and not bindings and not local_run and not checkers\"\'',
  ].join(' '),
});

project.synth();
