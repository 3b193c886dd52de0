// Loading a config: read → parse YAML (JSON is YAML) → JSON Schema → semantic checks →
// resolve files → normalize. The first problem stops it with a one-line ConfigError:
//   <file>: <field path>: <what was expected / what is wrong> (line N)
// so Remora never starts (or reloads into) a half-valid configuration.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { ConfigError, fieldPath } from './errors.ts';
import { resolveFiles } from './files.ts';
import { normalize } from './normalize.ts';
import { checkSemantics } from './semantic.ts';
import { validateSchema } from './validate.ts';
import type { SchemaProblem } from './validate.ts';
import type { RawConfig } from './raw.ts';
import type { Config } from './types.ts';

export { ConfigError } from './errors.ts';

/** Reads and validates a YAML or JSON config file. Throws ConfigError. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(file, '', code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(e)})`);
  }
  return parseConfig(text, file);
}

/**
 * Validates config text. `source` names it in errors and anchors relative paths: a file path
 * (relative to the working directory), or a label like "<embedded>" (paths then resolve
 * against the working directory).
 */
export async function parseConfig(text: string, source: string): Promise<Config> {
  const isFile = !source.startsWith('<');
  const absolute = isFile ? resolve(source) : source;
  const baseDir = isFile ? dirname(absolute) : process.cwd();

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    const where = at ? `${source}:${at.line}:${at.col}` : source;
    throw new ConfigError(where, '', `invalid YAML: ${firstLine(syntax.message)}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError(source, '', `invalid YAML: ${firstLine((e as Error).message)}`);
  }
  if (data === undefined || data === null) throw new ConfigError(source, '', 'the file is empty; expected a mapping with listeners');

  const fail = (p: SchemaProblem): never => {
    throw new ConfigError(source, fieldPath(p.path), p.detail, lineNumber(doc, lines, p.at ?? p.path));
  };
  const schemaProblem = validateSchema(data);
  if (schemaProblem) fail(schemaProblem);
  const raw = data as RawConfig;
  const semanticProblem = checkSemantics(raw);
  if (semanticProblem) fail(semanticProblem);
  const files = await resolveFiles(raw, baseDir);
  if ('detail' in files) return fail(files);

  const config = normalize(raw, isAbsolute(absolute) ? absolute : source, {
    pluginPath: (i) => files.pluginPaths[i]!,
    tlsPath: files.tlsPath,
  });
  origins.set(config, { label: source, line: (path) => lineNumber(doc, lines, path) });
  return config;
}

/** Where each loaded config came from: the file as the user named it, and its lines. */
const origins = new WeakMap<Config, { label: string; line: (path: Array<string | number>) => number | undefined }>();

/**
 * An error found in `config` after it loaded (a plugin that cannot be read or refuses to start),
 * reported like a schema error: the file as given, the field path and the line of that field.
 */
export function configErrorAt(config: Config, path: Array<string | number>, detail: string): ConfigError {
  const origin = origins.get(config);
  return new ConfigError(origin?.label ?? config.source, fieldPath(path), detail, origin?.line(path));
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** Line of the deepest node on `path` that the document has. */
function lineNumber(doc: Document, lines: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
