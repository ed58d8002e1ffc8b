// The local run: each stage of the pipeline on a local stand-in of its AWS engine, then the CloudFormation
// a user would deploy. Stages are added as the constructs they prove land (see the README's roadmap).
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';

const root = join(__dirname, '..');
const outDir = join(root, '.local-run');

function step(title: string): void {
  console.log(`\n==> ${title}`);
}

function synthExample(app: string, cdkOut: string): string[] {
  rmSync(cdkOut, { recursive: true, force: true });
  mkdirSync(cdkOut, { recursive: true });
  execFileSync('npx', ['ts-node', '--project', 'tsconfig.dev.json', join('examples', app)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CDK_OUTDIR: cdkOut },
  });
  const manifest = JSON.parse(readFileSync(join(cdkOut, 'manifest.json'), 'utf-8'));
  return Object.values<any>(manifest.artifacts)
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack')
    .map((artifact) => join(cdkOut, artifact.properties.templateFile));
}

step('Synthesizing the examples app (examples/app.ts)');
const templates = synthExample('app.ts', join(outDir, 'cdk.out'));
for (const template of templates) {
  if (!existsSync(template)) {
    throw new Error(`expected template ${template} was not written`);
  }
  const resources = Object.values<any>(JSON.parse(readFileSync(template, 'utf-8')).Resources ?? {});
  const types = new Map<string, number>();
  resources.forEach((resource) => types.set(resource.Type, (types.get(resource.Type) ?? 0) + 1));
  console.log(`    ${template}`);
  console.log(`    ${resources.length} resources: ${[...types].map(([type, n]) => `${n} ${type}`).join(', ')}`);
}

step('Done');
console.log('    The CloudFormation template above is what `cdk deploy` would create.');
