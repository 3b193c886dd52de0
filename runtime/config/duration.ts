// Durations in config files are strings: `250ms`, `5s`, `1m`, `1h`, combinations such as
// `1m30s`, or `0` (which means "disabled" where a field allows it). `0` is the one bare number
// allowed: YAML reads an unquoted 0 as a number, and it needs no unit to be unambiguous.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SEGMENT = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Shape accepted by the JSON Schema (the parser below is the authority). */
export const DURATION_PATTERN = '^(0|((\\d+(\\.\\d+)?)(ms|s|m|h))+)$';

/** What a user is told when a duration does not parse. */
export const DURATION_EXPECTED = 'a duration like 250ms, 5s, 1m, 1h or 1m30s';

/** Milliseconds for a duration, or undefined when it does not parse. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value === 0 ? 0 : undefined;
  const text = value;
  if (text === '0') return 0;
  if (text.length === 0) return undefined;
  let total = 0;
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const m = SEGMENT.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}
