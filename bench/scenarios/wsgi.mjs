// Issue 6: applications on the thread pool. Hello world through the pool
// against node:http hello (the cost of the hop to a thread and back), and a
// CPU-bound application (about 5 ms of synchronous work per request) on 2
// threads against the same work in a plain node:http handler (the pool uses
// both cores; node:http uses one).
import { startServer, load, table } from '../harness.mjs';

async function measure(name, env, url, options) {
  const server = await startServer(name, env);
  try {
    return await load(`http://127.0.0.1:${server.port}${url}`, options);
  } finally {
    await server.stop();
  }
}

export async function run() {
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const rows = [];
  const helloPeer = await measure('node-hello', {}, '/', { duration });
  const hello = await measure('boxwire-wsgi', { BENCH_APP: 'hello', BENCH_THREADS: '2' }, '/', { duration });
  rows.push({ scenario: 'hello', server: 'node:http (peer)', ...helloPeer });
  rows.push({ scenario: 'hello', server: 'boxwire WSGI, 2 threads', ...hello, ratio: hello.rps / helloPeer.rps });
  const cpuPeer = await measure('node-cpu', {}, '/', { duration, connections: 8 });
  const cpu = await measure('boxwire-wsgi', { BENCH_APP: 'cpu', BENCH_THREADS: '2' }, '/', { duration, connections: 8 });
  rows.push({ scenario: '~5 ms CPU per request', server: 'node:http (peer)', ...cpuPeer });
  rows.push({ scenario: '~5 ms CPU per request', server: 'boxwire WSGI, 2 threads', ...cpu, ratio: cpu.rps / cpuPeer.rps });
  table('WSGI: applications on the thread pool', rows);
}
