// npm run bench: every scenario file in bench/scenarios, each server in its
// own process, the load from wrk (or autocannon, when wrk is not installed),
// each scenario against its peers in the same run. `npm run bench -- http
// static` runs only the named files.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { loadGenerator } from './compare.mjs';

const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs'))
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.mjs$/, '')));
console.log(
  `# boxwire benchmarks\n\n${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`,
);
console.log(
  `Load average at the start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ', ',
    )}. Load generator: ${loadGenerator()}. Each server runs in its own process; ratios compare boxwire with each peer measured in the same run.`,
);
for (const file of files) {
  const scenario = await import(`${dir}${file}`);
  await scenario.run();
}
