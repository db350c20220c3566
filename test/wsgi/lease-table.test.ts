/**
 * LeaseTable: a pool's leases by job id, as a Map would keep them (get,
 * set, delete, oldest first), with its slots reused as jobs end.
 */
import { describe, expect, it } from 'vitest';
import { LeaseTable } from '../../components/wsgi/lease-table.js';

describe('LeaseTable', () => {
  it('keeps leases by id, forgets deleted ones and lists the rest oldest first', () => {
    const table = new LeaseTable<string>();
    for (const id of [5, 3, 9, 1]) table.set(id, `lease ${id}`);
    expect(table.size).toBe(4);
    expect(table.get(9)).toBe('lease 9');
    expect(table.get(2)).toBeUndefined();
    expect(table.delete(3)).toBe(true);
    expect(table.delete(3)).toBe(false);
    expect(table.get(3)).toBeUndefined();
    // A new lease takes the freed slot, and still comes last.
    table.set(7, 'lease 7');
    expect([...table.values()]).toEqual(['lease 5', 'lease 9', 'lease 1', 'lease 7']);
    table.set(9, 'lease 9 again');
    expect(table.get(9)).toBe('lease 9 again');
    expect(table.size).toBe(4);
  });

  it('reuses slots rather than growing while jobs come and go', () => {
    const table = new LeaseTable<{ id: number }>();
    for (let id = 0; id < 10_000; id++) {
      table.set(id, { id });
      if (id >= 50) table.delete(id - 50);
    }
    expect(table.size).toBe(50);
    expect([...table.values()].map((l) => l.id)).toEqual(Array.from({ length: 50 }, (_, i) => 9_950 + i));
    // Fifty live leases never needed more than fifty-one slots.
    expect((table as unknown as { leases: unknown[] }).leases.length).toBeLessThanOrEqual(51);
  });

  it('lets leases be deleted while they are listed', () => {
    const table = new LeaseTable<number>();
    for (let id = 1; id <= 5; id++) table.set(id, id);
    const seen: number[] = [];
    for (const lease of table.values()) {
      seen.push(lease);
      table.delete(lease + 1);
    }
    expect(seen).toEqual([1, 3, 5]);
  });
});
