/**
 * A directory listing as an HTML page: the entries sorted (directories
 * first, then by name), each with its size and modification date, and a
 * link to the parent. Every name is escaped for HTML and percent-encoded in
 * its link, so a file called `<script>` or `a"b` or `?x#y` stays text and
 * stays a relative link into this directory.
 */
import { escapeHtml } from './html.js';

export interface ListingEntry {
  readonly name: string;
  readonly directory: boolean;
  /** Bytes; ignored for directories. */
  readonly size: number;
  /** Modification time, ms since the epoch. */
  readonly modified: number;
}

export interface ListingPage {
  /** The directory's URL path, with its trailing slash (decoded, as the request carried it). */
  readonly path: string;
  readonly entries: readonly ListingEntry[];
  /** Whether to link to the parent directory. */
  readonly parent: boolean;
  /** Entries left out because there were too many. */
  readonly omitted?: number;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Directories first, then by name as people read it ("file2" before "file10"), then by code point. */
export function compareEntries(a: ListingEntry, b: ListingEntry): number {
  if (a.directory !== b.directory) return a.directory ? -1 : 1;
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** 1536 -> "1.5 KiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "2024-05-01 13:45" in UTC. */
export function formatModified(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** A link to a name in this directory: percent-encoded, so nothing in the name acts as URL syntax. */
export function entryHref(entry: ListingEntry): string {
  return encodeURIComponent(entry.name) + (entry.directory ? '/' : '');
}

export function renderListing(page: ListingPage): string {
  const title = `Index of ${escapeHtml(page.path)}`;
  const rows: string[] = [];
  if (page.parent) rows.push('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  for (const entry of [...page.entries].sort(compareEntries)) {
    const shown = escapeHtml(entry.name + (entry.directory ? '/' : ''));
    const size = entry.directory ? '-' : formatSize(entry.size);
    rows.push(
      `<tr><td><a href="${escapeHtml(entryHref(entry))}">${shown}</a></td>` +
        `<td data-bytes="${entry.directory ? '' : entry.size}">${size}</td><td>${formatModified(entry.modified)}</td></tr>`,
    );
  }
  const omitted = page.omitted ? `<p>${page.omitted} more entries not shown.</p>` : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${title}</title><style>body{font-family:system-ui,sans-serif;margin:2em}td{padding:0 1.5em 0 0}` +
    `td:nth-child(2){text-align:right}</style></head><body><h1>${title}</h1>` +
    `<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead><tbody>\n` +
    `${rows.join('\n')}\n</tbody></table>${omitted}</body></html>\n`
  );
}
