/**
 * Socket activation (sd_listen_fds(3)): systemd binds the listening sockets
 * (a .socket unit: port 80 for an unprivileged server, say), starts the
 * service with them as descriptors 3, 4, ... and says so in the
 * environment: LISTEN_PID (the process they are for, so a child that
 * inherits the variables does not take them for its own), LISTEN_FDS (how
 * many) and LISTEN_FDNAMES (their FileDescriptorName=, colon-separated).
 *
 * They are read once per process, and the variables are then removed from
 * the environment, as sd_listen_fds(1) does, so no CGI script or Python
 * process started later believes the sockets are its own.
 */
import cluster from 'node:cluster';

export interface PassedSocket {
  readonly fd: number;
  /** Its FileDescriptorName=, or "unknown" (what systemd says when there is none). */
  readonly name: string;
}

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
const firstFd = 3;

let passed: readonly PassedSocket[] | undefined;

/** What an environment says was passed to process `pid`: none unless LISTEN_PID is that process. */
export function listenFds(env: NodeJS.ProcessEnv, pid: number): PassedSocket[] {
  const count = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid || !Number.isInteger(count) || count <= 0) return [];
  const names = env.LISTEN_FDNAMES?.split(':') ?? [];
  return Array.from({ length: count }, (_, i) => ({ fd: firstFd + i, name: names[i] || 'unknown' }));
}

/**
 * What a `--workers` primary tells its workers it was passed: the workers
 * listen on the same descriptors, which Node's cluster opens in the
 * primary (cluster: "server.listen({ fd })" is listened on in the primary).
 */
const forWorkers = 'BOXWIRE_PASSED_SOCKETS';

/** The sockets passed to this process, read once (and the variables then removed); none when it was not socket-activated. */
export function passedSockets(): readonly PassedSocket[] {
  if (!passed) {
    const inherited = cluster.isWorker ? process.env[forWorkers] : undefined;
    passed = inherited ? (JSON.parse(inherited) as PassedSocket[]) : listenFds(process.env, process.pid);
    delete process.env.LISTEN_PID;
    delete process.env.LISTEN_FDS;
    delete process.env.LISTEN_FDNAMES;
    if (cluster.isPrimary && passed.length > 0) process.env[forWorkers] = JSON.stringify(passed);
  }
  return passed;
}

/** The passed sockets an interface names: all of them (`true`), or those of one name. */
export function socketsNamed(which: true | string): readonly PassedSocket[] {
  const all = passedSockets();
  return which === true ? all : all.filter((s) => s.name === which);
}
