/** What every options module says of a bad value: the option, what it must be, and what it got. */
export function badOption(option: string, must: string, got: unknown): TypeError {
  return new TypeError(`boxwire: option "${option}" must be ${must} (got ${JSON.stringify(got) ?? String(got)})`);
}
