import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // What users import, as the examples and the docs' samples do: the sources themselves (tsconfig.json `paths` says the same).
  resolve: {
    alias: [
      { find: /^boxwire\/client$/, replacement: fileURLToPath(new URL('./src/client/index.ts', import.meta.url)) },
      { find: /^boxwire$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
