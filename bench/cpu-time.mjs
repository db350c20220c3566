// CPU time used by server processes, from /proc (Linux); undefined elsewhere.
import { readdirSync, readFileSync } from 'node:fs';

/** User + system clock ticks in one /proc stat file, and the parent pid it names. */
function readStat(path) {
  const text = readFileSync(path, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** CPU milliseconds used so far by one process, all its threads. */
export function cpuTime(pid) {
  try {
    let ticks = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ticks += readStat(`/proc/${pid}/task/${task}/stat`).ticks;
    return ticks * 10;
  } catch {
    return undefined;
  }
}

/** CPU milliseconds used so far by a process and all its descendants (e.g. worker processes). */
export function cpuTimeOfTree(pid) {
  try {
    const stats = new Map();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        stats.set(Number(name), readStat(`/proc/${name}/stat`));
      } catch {
        // Gone meanwhile.
      }
    }
    const tree = new Set([pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [p, s] of stats) if (!tree.has(p) && tree.has(s.ppid)) tree.add(p), (grew = true);
    }
    let ticks = 0;
    for (const p of tree) ticks += stats.get(p)?.ticks ?? 0;
    return ticks * 10;
  } catch {
    return undefined;
  }
}
