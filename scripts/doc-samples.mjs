/**
 * The docs' code samples, checked. Every ```ts block of README.md and docs/*.md is written out as
 * test/doc-samples/<doc>-L<line>.ts (git-ignored), where `npm run typecheck` compiles it with
 * 'boxwire' and 'boxwire/client' resolving to the sources (tsconfig.json `paths`): a sample is a
 * complete module, so one that no longer compiles fails the type-check.
 *
 * A block whose first line names a file under examples/ (`// examples/hello-server.ts: ...`, or
 * `# examples/python/hello.py` in Python) shows that file whole: it must agree with the file byte for
 * byte, and the file is compiled and run by its own test instead. `npm run typecheck` runs this
 * script first; test/doc-samples.test.ts runs `check()` too.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const outDir = path.join(root, 'test', 'doc-samples');

/** README.md and every guide in docs/. */
export function documents() {
  const docs = existsSync(path.join(root, 'docs'))
    ? readdirSync(path.join(root, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  return ['README.md', ...docs];
}

/**
 * The fenced code blocks of a Markdown text: { lang, line (of the opening fence, from 1), text,
 * example (the examples/ file it shows, if its first line names one) }.
 */
export function blocksOf(markdown) {
  const lines = markdown.split('\n');
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+)\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].startsWith(`${indent}${fence}`); j++) body.push(lines[j].slice(indent.length));
    const text = `${body.join('\n')}\n`;
    const named = /^(?:\/\/|#)\s*(examples\/[\w./-]+?)(?::|\s|$)/.exec(body[0] ?? '');
    found.push({ lang, line: i + 1, text, example: named?.[1] });
    i = j;
  }
  return found;
}

/** Every block of every document, with the document it is in. */
export function allBlocks() {
  return documents().flatMap((doc) => blocksOf(readFileSync(path.join(root, doc), 'utf8')).map((block) => ({ doc, ...block })));
}

/**
 * The file a ts block is written to, named after its document and the line of its opening fence, L:
 * line n of the file is line L + n of the document, so a compile error says where to look.
 */
export function sampleName(block) {
  return `${block.doc.replace(/^docs\//, '').replace(/\.md$/, '')}-L${block.line}.ts`;
}

/** What is wrong with the samples: blocks that disagree with the example file they name. */
export function check() {
  const problems = [];
  for (const block of allBlocks()) {
    if (!block.example) continue;
    const where = `${block.doc}:${block.line}`;
    const file = path.join(root, block.example);
    if (!existsSync(file)) {
      problems.push(`${where} shows ${block.example}, which does not exist`);
      continue;
    }
    const actual = readFileSync(file, 'utf8');
    if (actual !== block.text)
      problems.push(`${where} shows ${block.example}, but the file differs (${firstDifference(block.text, actual)})`);
  }
  return problems;
}

function firstDifference(shown, actual) {
  const a = shown.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: doc ${JSON.stringify(a[i] ?? '(end)')}, file ${JSON.stringify(b[i] ?? '(end)')}`;
  }
  return 'no line differs';
}

/** Writes every ts block that is not an example file to test/doc-samples/, removing what is stale. */
export function generate() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const block of allBlocks()) {
    if (block.lang !== 'ts' || block.example) continue;
    const name = sampleName(block);
    writeFileSync(path.join(outDir, name), block.text);
    written.push(name);
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = generate();
  const problems = check();
  for (const problem of problems) console.error(`doc samples: ${problem}`);
  if (problems.length > 0) process.exit(1);
  if (!process.argv.includes('--quiet'))
    console.log(`doc samples: ${written.length} ts blocks written to test/doc-samples/ for the type-check`);
}
