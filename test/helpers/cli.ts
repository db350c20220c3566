/**
 * The `boxwire` command as a child process: what the command-line tests
 * start, read and stop. Output is collected as it comes; `until` waits for a
 * line and fails at once, with what was printed, if the command exits first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export interface CommandRun {
  readonly child: ChildProcess;
  /** Standard output so far. */
  out(): string;
  /** Standard error so far. */
  err(): string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Resolves with the match once stdout or stderr matches `pattern`. */
  until(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL if still running: for `finally`. */
  kill(): void;
}

export function runCommand(args: readonly string[], cwd?: string): CommandRun {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let stdout = '';
  let stderr = '';
  let exitCode: number | null | undefined;
  const heard = new Set<() => void>();
  const hear = () => {
    for (const listener of heard) listener();
  };
  child.stdout!.on('data', (c: Buffer) => ((stdout += c), hear()));
  child.stderr!.on('data', (c: Buffer) => ((stderr += c), hear()));
  const exited = new Promise<number | null>((resolve) =>
    // 'close': after the exit and the end of its output.
    child.once('close', (code) => {
      exitCode = code;
      resolve(code);
      hear();
    }),
  );
  const until = (pattern: RegExp, ms = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const done = () => (heard.delete(check), clearTimeout(timer));
      const check = () => {
        const match = pattern.exec(stdout) ?? pattern.exec(stderr);
        if (match) done(), resolve(match);
        else if (exitCode !== undefined)
          done(), reject(new Error(`the command exited (${exitCode}) before printing ${pattern}:\n${stdout}${stderr}`));
      };
      const timer = setTimeout(() => (done(), reject(new Error(`no ${pattern} within ${ms} ms:\n${stdout}${stderr}`))), ms);
      heard.add(check);
      check();
    });
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    exited,
    until,
    stop: () => (child.kill('SIGTERM'), exited),
    kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')),
  };
}

/** Starts the command and waits for its "listening on ..." line; `port` is the first port it names. */
export async function startCommand(
  args: readonly string[],
  listening = /listening on \S+?:(\d+)/,
  cwd?: string,
): Promise<CommandRun & { port: number }> {
  const run = runCommand(args, cwd);
  try {
    const match = await run.until(listening);
    return { ...run, port: Number(match[1] ?? /:(\d+)/.exec(match[0])![1]) };
  } catch (error) {
    run.kill();
    throw error;
  }
}
