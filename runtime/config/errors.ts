// A configuration problem, reported as exactly one line:
//   <file>: <field path>: <what was expected / what is wrong>
// `remora check` and `remora run` print `message` on stderr and exit 2.

export class ConfigError extends Error {
  /** The file the problem is in ("<embedded>" for the demo default). */
  readonly file: string;
  /** Field path like `listeners[0].routes[1].cluster`; empty for whole-file problems. */
  readonly path: string;
  /** The problem itself, without file, path and line. */
  readonly detail: string;
  /** Line of the field in the file, when known. */
  readonly line: number | undefined;

  constructor(file: string, path: string, detail: string, line?: number) {
    // One line, whatever the detail carries (YAML and fs messages can span several).
    const oneLine = detail.replace(/\s*\n\s*/g, ' ').trim();
    const where = line === undefined ? '' : ` (line ${line})`;
    super(path ? `${file}: ${path}: ${oneLine}${where}` : `${file}: ${oneLine}${where}`);
    this.name = 'ConfigError';
    this.file = file;
    this.path = path;
    this.detail = oneLine;
    this.line = line;
  }
}

/** Joins path segments the way users read them: `listeners[0].routes[1].cluster`. */
export function fieldPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}
