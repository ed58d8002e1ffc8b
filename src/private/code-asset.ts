import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, BundlingOptions, DockerImage, ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The runtime of the functions built from a handler bundle with `codeWithFiles`: the one the bundles are compiled for
 * (`lambdaRuntime` in .projenrc.ts, which gives the generated function classes theirs too; a test in
 * test/pipeline/weather-pipeline.test.ts holds every function of a pipeline and the bundles' target to it).
 */
export const BUNDLE_RUNTIME = new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS);

/**
 * A function's code asset: a handler bundle's files plus `extraFiles` (configuration the handler reads next to its
 * `index.js`).
 *
 * The files are written by CDK's own asset staging, through local bundling, straight into the cloud assembly
 * (`cdk.out/asset.<hash>`): nothing is written anywhere else, so syntheses leave no folder behind in the system
 * temporary directory. The asset hash depends only on the files' names and contents: the same bundle and extra
 * files always give the same asset, and different ones never share it.
 *
 * @param bundleDir the bundle made by `npx projen bundle`
 * @param extraFiles file name → content, replacing any bundle file of the same name
 */
export function codeWithFiles(bundleDir: string, extraFiles: Record<string, string>): lambda.AssetCode {
  if (!fs.existsSync(path.join(bundleDir, 'index.js'))) {
    throw new Error(`the handler bundle is missing (${bundleDir}): run "npx projen bundle"`);
  }
  const files = new Map<string, Buffer>();
  for (const name of fs.readdirSync(bundleDir).sort()) {
    if (!(name in extraFiles) && fs.statSync(path.join(bundleDir, name)).isFile()) {
      files.set(name, fs.readFileSync(path.join(bundleDir, name)));
    }
  }
  for (const name of Object.keys(extraFiles).sort()) {
    files.set(name, Buffer.from(extraFiles[name], 'utf-8'));
  }

  const hash = crypto.createHash('sha256');
  for (const [name, content] of files) {
    hash.update(`${name}\0${content.length}\0`).update(content);
  }
  const bundling: BundlingOptions = {
    // Never pulled nor run: the local bundler below always succeeds. CDK requires an image in the options.
    image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
    local: new FilesBundler(files),
  };
  return lambda.Code.fromAsset(bundleDir, { assetHashType: AssetHashType.CUSTOM, assetHash: hash.digest('hex'), bundling });
}

/** Writes a fixed set of files into the folder CDK stages the asset in. */
class FilesBundler implements ILocalBundling {
  constructor(private readonly files: Map<string, Buffer>) {}

  public tryBundle(outputDir: string): boolean {
    for (const [name, content] of this.files) {
      fs.writeFileSync(path.join(outputDir, name), content);
    }
    return true;
  }
}
