import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { removeSynthesisFolders } from './synthesis-folders';

test('a synthesis without an outdir is recorded and its folder removed', () => {
  removeSynthesisFolders();
  const app = new App();
  new s3.Bucket(new Stack(app, 'Stack'), 'Bucket');
  const folder = app.synth().directory;
  expect(fs.existsSync(path.join(folder, 'Stack.template.json'))).toBe(true);

  expect(removeSynthesisFolders()).toBe(1);
  expect(fs.existsSync(folder)).toBe(false);
});

test('a synthesis into a given outdir is left alone', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'given-outdir-'));
  try {
    const app = new App({ outdir });
    new s3.Bucket(new Stack(app, 'Stack'), 'Bucket');
    app.synth();
    expect(removeSynthesisFolders()).toBe(0);
    expect(fs.existsSync(path.join(outdir, 'Stack.template.json'))).toBe(true);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test('every jest test file runs the clean-up', () => {
  const jest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf-8')).jest;
  expect(jest.setupFilesAfterEnv).toContain('<rootDir>/test/jest-cleanup.ts');
});
