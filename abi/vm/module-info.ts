// A small reader for the parts of a Wasm binary the JS API does not expose: function signatures of
// exports (cpp-host rejects callbacks with a wrong signature; JS would silently pad arguments) and
// memory limits (to enforce the plugin memory cap). Also rewrites a defined memory's maximum.

export interface Limits {
  min: number;
  max: number | undefined;
}

export interface FuncType {
  params: number;
  results: number;
}

export interface ModuleInfo {
  /** Exported functions: name -> signature (arity only; the ABI is all i32 except a few i64). */
  exportedFuncs: Map<string, FuncType>;
  /** Limits of an imported memory, if the module imports one. */
  importedMemory: Limits | undefined;
  importedMemoryModule: string | undefined;
  importedMemoryName: string | undefined;
  /** Limits of the module's own memory, if it defines one. */
  definedMemory: Limits | undefined;
  /** Byte range of the memory section (id, size and payload), to patch limits. */
  memorySection: { start: number; end: number } | undefined;
}

class Reader {
  pos: number;
  readonly b: Uint8Array;
  constructor(b: Uint8Array, pos: number) {
    this.b = b;
    this.pos = pos;
  }
  byte(): number {
    if (this.pos >= this.b.length) throw new Error('unexpected end of module');
    return this.b[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('bad LEB128');
    }
  }
  advance(n: number): void {
    this.pos += n;
  }
  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.pos, len).toString('utf8');
    this.pos += len;
    return s;
  }
  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max };
  }
}

/** Parses the sections we need. Throws on a binary that is not Wasm. */
export function readModuleInfo(code: Uint8Array): ModuleInfo {
  if (code.length < 8 || code[0] !== 0 || code[1] !== 0x61 || code[2] !== 0x73 || code[3] !== 0x6d) {
    throw new Error('not a WebAssembly binary (bad magic)');
  }
  const r = new Reader(code, 8);
  const types: FuncType[] = [];
  const funcTypeIdx: number[] = [];
  let importedFuncs = 0;
  const info: ModuleInfo = {
    exportedFuncs: new Map(),
    importedMemory: undefined,
    importedMemoryModule: undefined,
    importedMemoryName: undefined,
    definedMemory: undefined,
    memorySection: undefined,
  };
  const exports: Array<[string, number]> = [];
  while (r.pos < code.length) {
    const sectionStart = r.pos;
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) throw new Error('unsupported type form');
        const np = r.u32();
        r.advance(np);
        const nr = r.u32();
        r.advance(nr);
        types.push({ params: np, results: nr });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const mod = r.name();
        const nm = r.name();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          importedFuncs++;
        } else if (kind === 1) {
          r.byte();
          r.limits();
        } else if (kind === 2) {
          info.importedMemory = r.limits();
          info.importedMemoryModule = mod;
          info.importedMemoryName = nm;
        } else if (kind === 3) {
          r.byte();
          r.byte();
        } else {
          r.u32();
        }
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypeIdx.push(r.u32());
    } else if (id === 5) {
      const n = r.u32();
      // Only the common single-memory form is capped by rewriting; others are checked after calls.
      if (n > 0) info.definedMemory = r.limits();
      if (n === 1) info.memorySection = { start: sectionStart, end };
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const nm = r.name();
        const kind = r.byte();
        const idx = r.u32();
        if (kind === 0) exports.push([nm, idx]);
      }
    }
    r.pos = end;
  }
  for (const [nm, idx] of exports) {
    if (idx < importedFuncs) continue; // re-exported import: no local signature to check
    const t = types[funcTypeIdx[idx - importedFuncs] ?? -1];
    if (t) info.exportedFuncs.set(nm, t);
  }
  return info;
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/**
 * Returns a copy of `code` whose single defined memory has `maxPages` as its maximum (lower of the
 * declared one and the cap), so growth beyond the cap fails inside the VM instead of eating the host.
 */
export function capDefinedMemory(code: Uint8Array, info: ModuleInfo, maxPages: number): Uint8Array {
  const sec = info.memorySection;
  const mem = info.definedMemory;
  if (!sec || !mem) return code;
  const max = mem.max === undefined ? maxPages : Math.min(mem.max, maxPages);
  const payload = [...leb(1), 0x01, ...leb(mem.min), ...leb(max)];
  const section = [5, ...leb(payload.length), ...payload];
  const out = new Uint8Array(code.length - (sec.end - sec.start) + section.length);
  out.set(code.subarray(0, sec.start), 0);
  out.set(section, sec.start);
  out.set(code.subarray(sec.end), sec.start + section.length);
  return out;
}
