/**
 * Gauges: how the parts of a server that hold something (a pool of
 * threads, the CGI process table, a FastCGI connection pool, a proxy's
 * upstream, a backplane) say what they hold, for the status page,
 * `server.introspect()` and /metrics. A part adds itself to its server's
 * registry with a function that reads its figures, and takes itself off
 * when it stops (a component owns the remover: `this.own(gauges.add(...))`).
 * Nothing is pushed: figures are read when someone looks, so a gauge costs
 * nothing between looks.
 *
 * One registry per server (like the backplanes' registry), so two servers
 * in one process show their own parts.
 */

export interface GaugeSource {
  /**
   * What it is, as one lower-case word (`pool`, `cgi`, `fastcgi`,
   * `upstream`, `backplane`): the status page groups by it, and /metrics
   * names its figures `boxwire_<kind>_<figure>` with a label `<kind>`.
   */
  readonly kind: string;
  /** Which one: unique within its kind (`wsgi`, `/py/`, `127.0.0.1:9000`, `events`). */
  readonly name: string;
  /** One line on what it does, for the picture. */
  readonly role?: string;
  /** Its figures now, as plain numbers (`busy`, `idle`, `queued`, `open`, ...); names as `kind`. */
  readonly read: () => Readonly<Record<string, number>>;
  /** Which of its figures only ever grow (`served`, `errors`): /metrics makes them counters; the rest are gauges. */
  readonly counters?: readonly string[];
}

/** A source's figures as read. */
export interface GaugeReading {
  readonly kind: string;
  readonly name: string;
  readonly role: string;
  readonly figures: Readonly<Record<string, number>>;
  readonly counters: readonly string[];
}

/** A lower-case word that can name a metric and a label. */
const word = /^[a-z][a-z0-9_]*$/;

export class Gauges {
  private readonly sources: GaugeSource[] = [];

  /**
   * Adds a source; returns what takes it off again. A source with the kind
   * and name of one already there replaces it (a pool made again by a reload).
   */
  add(source: GaugeSource): () => void {
    if (typeof source?.read !== 'function') throw new TypeError('gauges.add: a source needs a read() function');
    if (!word.test(source.kind)) throw new TypeError(`gauges.add: kind "${source.kind}" must be a lower-case word (a-z, 0-9, _)`);
    if (typeof source.name !== 'string' || source.name === '') throw new TypeError('gauges.add: a source needs a name');
    const same = this.sources.findIndex((s) => s.kind === source.kind && s.name === source.name);
    if (same >= 0) this.sources.splice(same, 1);
    this.sources.push(source);
    return () => {
      const at = this.sources.indexOf(source);
      if (at >= 0) this.sources.splice(at, 1);
    };
  }

  /** Every source's figures now, in the order they were added. A reader that throws shows no figures, and the rest go on. */
  read(): GaugeReading[] {
    return this.sources.map((source) => {
      let figures: Record<string, number> = {};
      try {
        for (const [name, value] of Object.entries(source.read())) {
          if (word.test(name) && typeof value === 'number' && Number.isFinite(value)) figures[name] = value;
        }
      } catch {
        figures = {};
      }
      return { kind: source.kind, name: source.name, role: source.role ?? '', figures, counters: source.counters ?? [] };
    });
  }
}
