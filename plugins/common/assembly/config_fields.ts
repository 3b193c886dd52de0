// Shared by the first-party plugins' configuration parsers.
import { JsonValue } from '@remora/sdk/assembly/json';

/**
 * The first key of `obj` that is not in `known`, "" when all are known. The parsers refuse unknown
 * fields so that a misspelt option fails the configuration instead of being silently ignored.
 */
export function unknownKey(obj: JsonValue, known: string[]): string {
  for (let i = 0; i < obj.keys.length; i++) if (!known.includes(obj.keys[i])) return obj.keys[i];
  return '';
}
