/**
 * Child processes of the test process, read from /proc: what CGI tests check
 * after each test (no script left running, no zombie), and whether a
 * script's whole process group is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface ProcessEntry {
  readonly pid: number;
  /** R, S, Z (zombie), ... */
  readonly state: string;
  readonly command: string;
}

/** Processes whose parent is this process, zombies included. */
export function childProcesses(): ProcessEntry[] {
  const children: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === process.pid) children.push({ pid: Number(name), state: state!, command: stat.slice(stat.indexOf('(') + 1, close) });
  }
  return children;
}

/** Whether any process is left in a process group. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process exists (zombies count). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (a little) for every child process to have gone, then asserts it. */
export async function expectNoChildren(waitMs = 3_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (childProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(childProcesses()).toEqual([]);
}
