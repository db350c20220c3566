/**
 * The Content-Type of a file, from its extension: the `mime-types` table
 * (with a charset for text types, as `mime-types` gives it), under the
 * server's overrides. Files of no known type are application/octet-stream,
 * which browsers download rather than render.
 */
import mime from 'mime-types';

export const defaultContentType = 'application/octet-stream';

/** A media type: `type/subtype` and optional parameters. */
const mediaType =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=("[^"\r\n]*"|[!#$%&'*+.^_`|~0-9A-Za-z-]+))*$/;
const extension = /^\.[A-Za-z0-9_+-]+$/;

export function isMediaType(value: string): boolean {
  return mediaType.test(value);
}

/** Checks overrides ({ ".ext": "type/subtype" }) and gives them lower-cased keys, with a charset added to text types. */
export function normalizeMimeOverrides(overrides: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const [ext, type] of Object.entries(overrides)) {
    const key = ext.startsWith('.') ? ext : `.${ext}`;
    if (!extension.test(key)) throw new TypeError(`"${ext}" is not a file extension such as ".md"`);
    if (typeof type !== 'string' || !isMediaType(type))
      throw new TypeError(`"${String(type)}" (for ${key}) is not a media type such as "text/markdown"`);
    out.set(key.toLowerCase(), type.includes(';') ? type : mime.contentType(type) || type);
  }
  return out;
}

/** Looks up the Content-Type of a file name. */
export function contentTypeOf(name: string, overrides: ReadonlyMap<string, string>): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return defaultContentType; // no extension, or a dotfile's name is all extension
  const ext = name.slice(dot).toLowerCase();
  const override = overrides.get(ext);
  if (override !== undefined) return override;
  const type = mime.lookup(ext);
  return type ? mime.contentType(type) || type : defaultContentType;
}
