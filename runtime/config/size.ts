// Byte sizes: a plain non-negative integer, or a string with a binary (Ki, Mi, Gi) or
// decimal (K, M, G) suffix, as Kubernetes spells them: `64Mi`, `512Ki`, `1G`, `65536`.

const UNIT_BYTES: Record<string, number> = {
  '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3,
};

export const SIZE_PATTERN = '^\\d+(K|M|G|Ki|Mi|Gi)?$';
export const SIZE_EXPECTED = 'a size in bytes like 65536, 512Ki, 64Mi or 1Gi';

/** Bytes for a size, or undefined when it does not parse. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^(\d+)(K|M|G|Ki|Mi|Gi)?$/.exec(value);
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNIT_BYTES[m[2] ?? '']!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
