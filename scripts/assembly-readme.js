// The README of the jsii assembly (.jsii), which jsii-pacmak renders for the Python, Java, Go and .NET packages,
// keeps each example once: in TypeScript, which jsii-rosetta translates into the package's language. README.md shows
// some TypeScript examples with a hand-written Python block right after them, for the readers of the repository and
// of npm; in the assembly that block would follow rosetta's Python translation of the same code (on PyPI, the
// example twice), so it is left out there. Run after the jsii compile (post-compile). The fingerprint becomes
// '**********', as @jsii/spec's replaceAssembly marks an assembly a tool changed after the compiler.
// Usage: node scripts/assembly-readme.js [ASSEMBLY_FILE]   (default: .jsii)
'use strict';
const fs = require('fs');
const path = require('path');

/** `markdown` without the fenced ```python blocks that directly follow a fenced TypeScript block. */
function withoutHandWrittenTranslations(markdown) {
  const lines = markdown.split('\n');
  const kept = [];
  let previousBlock; // the language of the last fenced block closed, while only blank lines followed it
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]);
    if (!open) {
      if (lines[i].trim() !== '') previousBlock = undefined;
      kept.push(lines[i]);
      continue;
    }
    const language = open[1];
    let close = i + 1;
    while (close < lines.length && !/^```\s*$/.test(lines[close])) close++;
    const block = lines.slice(i, close + 1);
    if (language === 'python' && (previousBlock === 'ts' || previousBlock === 'typescript')) {
      while (kept.length > 0 && kept[kept.length - 1].trim() === '') kept.pop();
      kept.push('');
    } else {
      kept.push(...block);
    }
    previousBlock = language;
    i = close;
  }
  return kept.join('\n');
}

function main() {
  const file = path.resolve(process.argv[2] ?? '.jsii');
  const assembly = JSON.parse(fs.readFileSync(file, 'utf-8'));
  if (assembly.schema === 'jsii/file-redirect') throw new Error(`${file} is a compressed assembly: not supported`);
  if (!assembly.readme?.markdown) return;
  const markdown = withoutHandWrittenTranslations(assembly.readme.markdown);
  if (markdown === assembly.readme.markdown) return;
  assembly.readme.markdown = markdown;
  assembly.fingerprint = '**********';
  fs.writeFileSync(file, JSON.stringify(assembly, null, 2) + '\n');
}

if (require.main === module) {
  main();
}
module.exports = { withoutHandWrittenTranslations };
