/**
 * Signalling a child's whole process group: the children boxwire starts
 * (CGI scripts, Python workers) run detached, in a session and group of
 * their own, so that they and whatever they started can be stopped as one.
 */

/**
 * Sends a signal to a process group; false when the group no longer exists.
 * A group id stays taken while any member lives, so a group we signal is
 * the child's own: its id can only be reused once the group is empty.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
