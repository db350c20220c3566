/**
 * The leases of a pool by job id: what a Map<number, Lease> would be, but
 * the map holds only slot numbers and the leases sit in an array of slots
 * reused as jobs end.
 *
 * Why not the Map itself: a pool's map lives as long as the server, so it
 * is in the old generation, while each lease (with its job, environ and
 * gateway) is young and short-lived. As jobs come and go the map's hash
 * table is rebuilt every few dozen jobs, and each discarded table still
 * points at the leases it held: dead old objects that the young-generation
 * collector must treat as roots until the next full collection: under load
 * much of what a request allocates on the main thread would be kept alive
 * that way and promoted, and every scavenge would slow down with it. Tables
 * of numbers point at nothing (see `npm run bench -- wsgi`, hello world).
 */
export class LeaseTable<L> {
  /** Job id -> slot. */
  private readonly slots = new Map<number, number>();
  private readonly leases: (L | undefined)[] = [];
  /** Slots free for reuse. */
  private readonly free: number[] = [];

  get size(): number {
    return this.slots.size;
  }

  get(id: number): L | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.leases[slot];
  }

  set(id: number, lease: L): void {
    const existing = this.slots.get(id);
    if (existing !== undefined) {
      this.leases[existing] = lease;
      return;
    }
    const slot = this.free.length > 0 ? this.free.pop()! : this.leases.length;
    this.leases[slot] = lease;
    this.slots.set(id, slot);
  }

  delete(id: number): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.slots.delete(id);
    this.leases[slot] = undefined;
    this.free.push(slot);
    return true;
  }

  /** The leases, oldest first. */
  *values(): IterableIterator<L> {
    for (const slot of this.slots.values()) yield this.leases[slot]!;
  }
}
