/**
 * Memory as a test measures it: what the server holds, once the garbage of
 * the test's own client (received chunks, in the same process) has been
 * collected.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Memory in use once garbage is collected. */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  return process.memoryUsage();
}
