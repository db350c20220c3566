import { describe, expect, it } from 'vitest';
import { ScriptNames } from '../../src/http/script-names.js';

describe('ScriptNames', () => {
  const names = new ScriptNames(['.php', '.PHTML']);

  const runs: [string, boolean][] = [
    ['index.php', true],
    ['INDEX.PHP', true],
    ['page.PhTmL', true],
    ['x.php.', true],
    ['x.php . .', true],
    ['.php', true],
    ['x.php5', false],
    ['x.phps', false],
    ['php', false],
    ['x.php.txt', false],
    ['x.php.gz', false],
  ];
  for (const [name, expected] of runs) it(`runs ${JSON.stringify(name)}: ${expected}`, () => expect(names.runs(name)).toBe(expected));

  const hidden: [string, boolean][] = [
    ['x.php', true],
    ['x.php.gz', true],
    ['X.PHP.BR', true],
    ['x.php.gz.', true],
    ['x.txt.gz', false],
    ['x.php.zip', false],
  ];
  for (const [name, expected] of hidden) it(`hides ${JSON.stringify(name)}: ${expected}`, () => expect(names.hidden(name)).toBe(expected));

  it('the extension a name runs by, lower case', () => {
    expect(names.extensionOf('A.PHTML')).toBe('.phtml');
    expect(names.extensionOf('a.css')).toBeUndefined();
  });

  it('whether a path may name a script: any segment, or a directory with a script among its index files', () => {
    const index = ['index.php', 'index.html'];
    expect(names.mayName('/wiki/doku.php/some/page', index)).toBe(true);
    expect(names.mayName('/dir.php/inside.txt', index)).toBe(true);
    expect(names.mayName('/static/style.css', index)).toBe(false);
    expect(names.mayName('/docs/', index)).toBe(true);
    expect(names.mayName('/docs/', ['index.html'])).toBe(false);
    expect(names.mayName('/phpinfo', index)).toBe(false);
    expect(names.mayName('/x.PHP', index)).toBe(true);
    expect(new ScriptNames([]).mayName('/x.php', index)).toBe(false);
  });
});
