// Summarizes a V8 .cpuprofile (what `node --cpu-prof` writes): self and inclusive time per
// function, and self time per module, so a profile reads as a short table.
//   node bench/cpuprofile.ts FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  module: string;
  selfUs: number;
  totalUs: number;
}

export interface ProfileSummary {
  totalUs: number;
  functions: FunctionTime[];
  modules: { module: string; selfUs: number }[];
}

/** Short location: the path from the repository or package folder on, with the 1-based line. */
function where(f: CallFrame): string {
  if (!f.url) return '';
  let u = f.url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) u = u.slice(nm + '/node_modules/'.length);
  else {
    const m = /\/(runtime|abi|sdk|plugins|bench|bin|test)\//.exec(u);
    if (m) u = u.slice(m.index + 1);
  }
  return `${u}:${f.lineNumber + 1}`;
}

/** What a frame belongs to: a node: core module, an npm package, a Remora folder, or V8/native. */
export function moduleOf(f: CallFrame): string {
  const u = f.url;
  if (f.functionName.startsWith('(') && !u) return f.functionName; // (garbage collector), (program), (idle), (root)
  if (!u) return '(native)';
  if (u.startsWith('node:')) return u;
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/((?:runtime|abi|sdk|plugins|bench|bin)\/.*)$/.exec(u);
  return m ? m[1]! : u;
}

/** Only samples taken within [fromUs, toUs] (V8's monotonic clock, µs: what process.hrtime gives / 1000). */
export interface Window {
  fromUs: number;
  toUs: number;
}

export function summarize(p: CpuProfile, window?: Window): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'}\u0000${where(f)}`;
  const fns = new Map<string, FunctionTime>();
  const fnOf = (n: ProfileNode) => {
    const k = key(n.callFrame);
    let e = fns.get(k);
    if (!e) {
      e = { name: n.callFrame.functionName || '(anonymous)', where: where(n.callFrame), module: moduleOf(n.callFrame), selfUs: 0, totalUs: 0 };
      fns.set(k, e);
    }
    return e;
  };
  let totalUs = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    at += dt;
    if (dt <= 0) continue;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    totalUs += dt;
    let id: number | undefined = p.samples[i]!;
    const leaf = byId.get(id);
    if (!leaf) continue;
    fnOf(leaf).selfUs += dt;
    // Inclusive time: count each function once per sample even when it recurses.
    const seen = new Set<FunctionTime>();
    while (id !== undefined) {
      const n = byId.get(id);
      if (!n) break;
      const e = fnOf(n);
      if (!seen.has(e)) {
        seen.add(e);
        e.totalUs += dt;
      }
      id = parent.get(id);
    }
  }
  const modules = new Map<string, number>();
  for (const f of fns.values()) modules.set(f.module, (modules.get(f.module) ?? 0) + f.selfUs);
  return {
    totalUs,
    functions: [...fns.values()].filter((f) => f.name !== '(root)'),
    modules: [...modules.entries()].map(([module, selfUs]) => ({ module, selfUs })).sort((a, b) => b.selfUs - a.selfUs),
  };
}

/** Coarse buckets that say who spends the time: the kernel, Node's HTTP, undici, Remora, plugins… */
export function categoryOf(f: FunctionTime): string {
  if (f.module === '(native)' && /^write(v|Buffer|String|Latin1String|Utf8String|AsciiString|UCS2String)$/.test(f.name)) {
    return 'socket/file writes (syscalls; loopback TCP work runs here)';
  }
  if (f.module === '(garbage collector)') return 'garbage collector';
  if (/^node:internal\/(modules|deps\/amaro|bootstrap)/.test(f.module) || f.name === 'Module' || f.name === 'realpathSync') {
    return 'module loading and TypeScript stripping (start-up)';
  }
  if (f.module === '(program)') return 'V8/libuv outside JS (incl. reads, epoll)';
  if (f.module.startsWith('wasm://')) return 'Wasm (undici llhttp parser, plugins)';
  if (f.module === 'undici') return 'undici (upstream client JS)';
  if (/^node:(_http_|http)/.test(f.module)) return 'node:http server (JS)';
  if (/^node:(internal\/streams|internal\/stream_base|net|events|internal\/process|internal\/timers|timers|buffer|internal\/buffer)/.test(f.module)) {
    return 'Node streams, net, events, ticks, timers';
  }
  if (f.module.startsWith('runtime/')) return 'Remora runtime/';
  if (f.module.startsWith('abi/')) return 'Remora abi/ (Wasm host)';
  if (f.module === 'pino' || f.module === 'sonic-boom') return 'pino / sonic-boom (logging)';
  if (f.module.startsWith('bench/')) return 'bench script';
  return 'other';
}

const pct = (x: number, total: number) => `${((x / total) * 100).toFixed(1)}%`;

export function summaryText(s: ProfileSummary, top = 30): string {
  const lines: string[] = [];
  const idle = s.modules.find((m) => m.module === '(idle)')?.selfUs ?? 0;
  const busy = s.totalUs - idle;
  lines.push(
    `sampled ${(s.totalUs / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s (${pct(busy, s.totalUs)}); percentages below are of busy time`,
  );
  const cats = new Map<string, number>();
  for (const f of s.functions) if (f.name !== '(idle)') cats.set(categoryOf(f), (cats.get(categoryOf(f)) ?? 0) + f.selfUs);
  lines.push('', `| self | where the time goes |`, `|---:|---|`);
  for (const [c, us] of [...cats.entries()].sort((a, b) => b[1] - a[1])) lines.push(`| ${pct(us, busy)} | ${c} |`);
  lines.push('', `| self | total | function | where |`, `|---:|---:|---|---|`);
  for (const f of [...s.functions].filter((f) => f.name !== '(idle)').sort((a, b) => b.selfUs - a.selfUs).slice(0, top)) {
    lines.push(`| ${pct(f.selfUs, busy)} | ${pct(f.totalUs, busy)} | ${f.name} | ${f.where || f.module} |`);
  }
  lines.push('', `| self | module |`, `|---:|---|`);
  for (const m of s.modules.filter((m) => m.module !== '(idle)').slice(0, 25)) lines.push(`| ${pct(m.selfUs, busy)} | ${m.module} |`);
  lines.push('', 'Largest inclusive times (Remora and undici frames):', '', `| total | self | function | where |`, `|---:|---:|---|---|`);
  for (const f of [...s.functions]
    .filter((f) => /^(runtime|abi|bench)\//.test(f.module) || f.module === 'undici')
    .sort((a, b) => b.totalUs - a.totalUs)
    .slice(0, top)) {
    lines.push(`| ${pct(f.totalUs, busy)} | ${pct(f.selfUs, busy)} | ${f.name} | ${f.where} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/cpuprofile.ts FILE.cpuprofile [--top N]   (whole profile, start-up included)');
    process.exit(2);
  }
  const topIdx = process.argv.indexOf('--top');
  const top = topIdx > 0 ? Number(process.argv[topIdx + 1]) : 30;
  console.log(summaryText(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), top));
}
