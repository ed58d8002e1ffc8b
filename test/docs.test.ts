import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, resolve } from 'path';

// The README is for users: short, with the details one link away (docs/, CONTRIBUTING.md, API.md).
const root = join(__dirname, '..');
const pages = ['README.md', 'CONTRIBUTING.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

test('README.md stays at most 15 KB', () => {
  expect(statSync(join(root, 'README.md')).size).toBeLessThanOrEqual(15 * 1024);
});

test.each(pages)('every relative link and picture of %s points at a file of the repository', (page) => {
  const text = readFileSync(join(root, page), 'utf-8');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^(https?:|mailto:|#)/.test(t));
  const missing = targets.filter((target) => !existsSync(resolve(dirname(join(root, page)), target.split('#')[0])));
  expect(missing).toEqual([]);
});

test('the README shows the local run report and names the supported Node.js releases', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf-8');
  expect(readme).toContain('](docs/local-run-report.png)');
  expect(readme).toMatch(/Node\.js 22 or 24/);
});
