/** The layers hold: imports run core <- http <- components <- server <- cli, with no cycles (scripts/layers.mjs). */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script, without types.
import { check, layers } from '../scripts/layers.mjs';

describe('layers', () => {
  it('imports run one way, with no cycles', () => {
    expect(check()).toEqual([]);
  });

  it('components never reach the server or the command', () => {
    expect(layers.components).not.toContain('src/server');
    expect(layers.components).not.toContain('src/cli');
  });
});
