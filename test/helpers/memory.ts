/**
 * What a server in the test process holds: the test's own client runs in
 * this process too, so its garbage (the chunks it received) is collected
 * before memory is measured.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { sleep } from './http.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Memory in use once garbage has been collected. */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  gc();
  await sleep(50);
  gc();
  return process.memoryUsage();
}
