// One way for a scenario to compare boxwire with its peers: every server runs
// at once and takes the load in turn, in bursts, round after round (every
// other round in reverse order), so a change in what else the shared machine
// does falls on all of them alike. The load comes from wrk when it is
// installed (bench/wrk.mjs), from autocannon otherwise, and the table says
// which. Each row gives requests/s, p50 and p99 latency, MB/s, the server's
// CPU time per request (all its processes, from /proc: what varies least
// with the machine's load), errors, and boxwire's ratio against each peer.
import autocannon from 'autocannon';
import { cpuTimeOfTree } from './cpu-time.mjs';
import { median } from './harness.mjs';
import { hasWrk, wrk } from './wrk.mjs';

export const loadGenerator = () => (hasWrk() ? 'wrk' : 'autocannon (wrk is not installed: apt-get install wrk)');

/** One burst against `url`: { requests, bytes, errors, non2xx, p50, p99 } over `seconds`. */
export async function burst(url, { connections = 50, seconds = 2, headers = {}, method, body } = {}) {
  if (hasWrk()) {
    const r = await wrk(url, { connections, seconds, headers, method, body });
    return { requests: r.requests, bytes: r.bytes, errors: r.errors, readErrors: r.readErrors, non2xx: r.non2xx, p50: r.p50, p99: r.p99 };
  }
  const r = await autocannon({ url, connections, duration: seconds, headers, method, body });
  return {
    requests: r.requests.total,
    bytes: r.throughput.total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}

/**
 * Loads each server of `servers` ({ name, label, port, pid, closeDelimited? }) in turn for
 * `rounds` rounds of `seconds`, after a one-second warm-up each; resolves
 * with one row per server: rps, p50 and p99 (medians of the bursts), MB/s,
 * CPU µs per request, errors (socket errors, and answers other than
 * `okStatus`es when `countNon2xx`).
 */
export async function compare(
  servers,
  path,
  { rounds = 3, seconds = 2, connections = 50, headers = {}, method, body, countNon2xx = true } = {},
) {
  const url = (s) => `http://127.0.0.1:${s.port}${path}`;
  const options = { connections, headers, method, body };
  for (const s of servers) await burst(url(s), { ...options, seconds: 1 });
  const totals = new Map(servers.map((s) => [s, { requests: 0, bytes: 0, errors: 0, cpu: 0, cpuKnown: true, p50: [], p99: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 ? [...servers].reverse() : servers) {
      const before = cpuTimeOfTree(s.pid);
      const b = await burst(url(s), { ...options, seconds });
      const after = cpuTimeOfTree(s.pid);
      const t = totals.get(s);
      t.requests += b.requests;
      t.bytes += b.bytes;
      // A server that ends each response by closing the connection makes wrk count a read error for it.
      t.errors += b.errors - (s.closeDelimited ? (b.readErrors ?? 0) : 0) + (countNon2xx ? b.non2xx : 0);
      if (before === undefined || after === undefined) t.cpuKnown = false;
      else t.cpu += after - before;
      t.p50.push(b.p50);
      t.p99.push(b.p99);
    }
  }
  const time = rounds * seconds;
  return servers.map((s) => {
    const t = totals.get(s);
    return {
      name: s.name,
      label: s.label,
      rps: t.requests / time,
      p50: median(t.p50),
      p99: median(t.p99),
      throughput: t.bytes / time,
      cpuPerRequest: t.cpuKnown && t.requests > 0 ? (t.cpu * 1000) / t.requests : undefined,
      errors: t.errors,
    };
  });
}

/**
 * Prints one scenario's rows, boxwire's (the first server given to compare)
 * first, each peer's ratio being boxwire's requests/s over the peer's
 * (above 1: boxwire serves more).
 */
export function printScenario(title, rows) {
  const mine = rows[0];
  console.log(`\n#### ${title}\n`);
  console.log('| server | requests/s | p50 ms | p99 ms | MB/s | CPU µs/request | errors | boxwire vs it |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const ratio = r === mine ? '' : `${(mine.rps / r.rps).toFixed(2)}x`;
    const cpu = r.cpuPerRequest === undefined ? '-' : r.cpuPerRequest.toFixed(0);
    console.log(
      `| ${r.label} | ${Math.round(r.rps).toLocaleString('en')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.throughput / 1e6).toFixed(1)} | ${cpu} | ${r.errors} | ${ratio} |`,
    );
  }
}
