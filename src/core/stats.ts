/**
 * Counts of what the runtime holds alive. Tests assert that they return to
 * where they were once a graph has shut down: no component, link or resource
 * outlives its owner.
 */
export const stats = {
  /** Components started and not yet stopped. */
  components: 0,
  /** Links currently joining two boxes. */
  links: 0,
  /** Resources (subscriptions, timers, sockets, processes, ...) owned by running components. */
  resources: 0,
};

export type RuntimeStats = Readonly<typeof stats>;

/** A snapshot of the runtime's live counts. */
export function liveCounts(): RuntimeStats {
  return { ...stats };
}
