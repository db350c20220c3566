/**
 * The layers, checked: imports run one way, core <- http <- components <- server <- cli,
 * with the API client (src/client) beside core and http at the bottom, and no module imports
 * itself back through others (no cycles). `npm run lint` runs this; so does test/layers.test.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each layer, and the layers it may import from. */
export const layers = {
  'src/core': [],
  'src/http': ['src/core'],
  'src/client': ['src/core', 'src/http'],
  components: ['src/core', 'src/http', 'src/client'],
  'src/server': ['src/core', 'src/http', 'src/client', 'components'],
  'src/cli': ['src/core', 'src/http', 'src/client', 'components', 'src/server'],
  'src/index.ts': ['src/core', 'src/http', 'components', 'src/server'],
};

function layerOf(file) {
  const rel = path.relative(root, file).split(path.sep).join('/');
  return Object.keys(layers).find((layer) => rel === layer || rel.startsWith(`${layer}/`));
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The relative imports of a module (type-only ones too: they tie the layers as firmly). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
  )) {
    const spec = match[1] ?? match[2];
    found.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return found;
}

export function check() {
  const files = [...sources(path.join(root, 'src')), ...sources(path.join(root, 'components'))];
  const problems = [];
  const graph = new Map();
  for (const file of files) {
    const from = layerOf(file);
    const deps = importsOf(file);
    graph.set(file, deps);
    for (const dep of deps) {
      const to = layerOf(dep);
      const rel = (f) => path.relative(root, f);
      if (!to) problems.push(`${rel(file)} imports ${rel(dep)}, outside every layer`);
      else if (to !== from && !layers[from].includes(to)) problems.push(`${rel(file)} (${from}) imports ${rel(dep)} (${to})`);
    }
  }
  // Cycles: a depth-first walk, reporting each back edge's loop once.
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (!graph.has(dep)) continue;
      if (state.get(dep) === 'open') {
        const loop = stack
          .slice(stack.indexOf(dep))
          .concat(dep)
          .map((f) => path.relative(root, f));
        problems.push(`import cycle: ${loop.join(' -> ')}`);
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = check();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log('layers: imports run one way, with no cycles');
}
