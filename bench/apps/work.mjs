// The CPU-bound work of the wsgi benchmark: a fixed amount of synchronous
// arithmetic, about 5 ms on the machine it was tuned on. The same function
// runs in the node:http peer and in the pool, so the comparison is fair
// whatever the machine.
export const iterations = 3_000_000;

export function work(seed = 1) {
  let x = seed | 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 31) + i) ^ (x >>> 7);
  return x;
}
