import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A folder holding a handler bundle's files plus `extraFiles` (configuration the handler reads next to its
 * `index.js`): a function's code asset.
 *
 * Its content depends only on the bundle and the extra files, so the asset hash does too. The folder is named after
 * a hash of that content under the OS temporary directory: a later synthesis with the same content reuses it, and a
 * different content never lands in an existing folder. It is written to a fresh temporary folder first and then
 * renamed, so that concurrent syntheses never see it half-written.
 *
 * @param bundleDir the bundle made by `npx projen bundle`
 * @param extraFiles file name → content, replacing any bundle file of the same name
 * @param folderPrefix prefix of the folder name under the temporary directory
 */
export function bundleWithFiles(bundleDir: string, extraFiles: Record<string, string>, folderPrefix: string): string {
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
  const dir = path.join(os.tmpdir(), `${folderPrefix}-${hash.digest('hex').slice(0, 32)}`);
  if (!fs.existsSync(dir)) {
    const staging = fs.mkdtempSync(`${dir}.tmp-`);
    for (const [name, content] of files) {
      fs.writeFileSync(path.join(staging, name), content);
    }
    try {
      fs.renameSync(staging, dir);
    } catch (e) {
      // Another synthesis made the same folder in the meantime: same content, keep theirs.
      fs.rmSync(staging, { recursive: true, force: true });
      if (!fs.existsSync(dir)) {
        throw e;
      }
    }
  }
  return dir;
}
