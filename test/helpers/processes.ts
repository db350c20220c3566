/**
 * Child processes of the test process, read from /proc: what CGI tests check
 * after each test (no script left running, no zombie), and whether a
 * script's whole process group is gone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** Process group. */
  readonly pgrp: number;
  /** R, S, Z (zombie), ... */
  readonly state: string;
  readonly command: string;
}

/** Every process on the machine, from /proc. */
function processes(): ProcessEntry[] {
  const all: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, ppid, pgrp] = stat.slice(close + 2).split(' ');
    all.push({
      pid: Number(name),
      ppid: Number(ppid),
      pgrp: Number(pgrp),
      state: state!,
      command: stat.slice(stat.indexOf('(') + 1, close),
    });
  }
  return all;
}

/** Processes whose parent is this process, zombies included. */
export function childProcesses(): ProcessEntry[] {
  return processes().filter((p) => p.ppid === process.pid);
}

/**
 * Whether a process group still has a live member. Zombies do not count:
 * a grandchild orphaned by a killed script is reaped by init, not by us.
 */
export function groupAlive(pgid: number): boolean {
  return processes().some((p) => p.pgrp === pgid && p.state !== 'Z');
}

/** Whether a process is alive (a zombie is not). */
export function processAlive(pid: number): boolean {
  return processes().some((p) => p.pid === pid && p.state !== 'Z');
}

/** Waits (a little) for every child process to have gone, then asserts it. */
export async function expectNoChildren(waitMs = 3_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (childProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(childProcesses()).toEqual([]);
}
