/**
 * The docs' samples (scripts/doc-samples.mjs): every block that shows an examples/ file agrees with
 * it, the extraction finds what the type-check compiles, and the flags the docs name are the
 * command's, every one of them documented somewhere. `npm run typecheck` compiles the ts blocks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without types.
import { allBlocks, blocksOf, check, documents, root, sampleName } from '../scripts/doc-samples.mjs';
import { flags } from '../src/cli/flags.js';

interface Block {
  readonly doc: string;
  readonly lang: string;
  readonly line: number;
  readonly text: string;
  readonly example?: string;
}

describe('doc samples', () => {
  it('finds fenced blocks, their language and line, and the example file a block shows', () => {
    const markdown = [
      '# t',
      '',
      '```ts',
      "import { x } from 'boxwire';",
      '```',
      'text',
      '```python',
      '# examples/python/hello.py: hi',
      'x = 1',
      '```',
    ].join('\n');
    const blocks = blocksOf(markdown) as Block[];
    expect(blocks.map((b) => [b.lang, b.line, b.example])).toEqual([
      ['ts', 3, undefined],
      ['python', 7, 'examples/python/hello.py'],
    ]);
    expect(blocks[0]!.text).toBe("import { x } from 'boxwire';\n");
    expect(sampleName({ doc: 'docs/static.md', line: 12 })).toBe('static-L12.ts');
  });

  it('every block that shows an examples/ file agrees with it', () => {
    expect(check()).toEqual([]);
  });

  it('every guide has ts samples the type-check compiles, and README.md shows the examples it names', () => {
    const blocks = allBlocks() as Block[];
    expect(documents()).toContain('docs/architecture.md');
    const ts = blocks.filter((b) => b.lang === 'ts' && !b.example);
    expect(ts.length).toBeGreaterThan(15);
    for (const block of ts) expect(block.text, `${block.doc}:${block.line}`).not.toMatch(/^\s*\.\.\.\s*$|\/\/ \.\.\.$/m);
    expect(blocks.filter((b) => b.doc === 'README.md').map((b) => b.example)).toContain('examples/hello-server.ts');
  });

  it('names only flags the command has, and every flag it has', () => {
    const known = new Set([...flags.map((f) => f.name), '--help', '--version']);
    // Flags of other programs the docs show (node, npm, docker).
    const foreign = new Set([
      '--init',
      '--ignore-scripts',
      '--expose-gc',
      '--min-semi-space-size',
      '--max-semi-space-size',
      '--no-install',
      // systemctl's
      '--now',
    ]);
    const named = new Map<string, string>();
    for (const doc of documents() as string[]) {
      // Code in a programming language is not a command line (`--members` is a decrement there).
      const text = readFileSync(`${root}/${doc}`, 'utf8').replace(/^```(?:ts|js|python)\n[\s\S]*?^```$/gm, '');
      for (const [flag] of text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) if (!named.has(flag)) named.set(flag, doc);
    }
    const unknown = [...named].filter(([flag]) => !known.has(flag) && !foreign.has(flag)).map(([flag, doc]) => `${flag} (${doc})`);
    expect(unknown).toEqual([]);
    expect([...known].filter((flag) => !named.has(flag))).toEqual([]);
  });
});
