// Command-line options of `npm run bench`.
export interface BenchOptions {
  runs: number;
  durationSec: number;
  warmupSec: number;
  conns: number[];
  /** Only these target ids (all when empty). */
  only: string[];
  pin: boolean;
  /** Write bench/RESULTS.md from this run. */
  record: boolean;
  quick: boolean;
  /** Before each target's runs, wait up to this many seconds for other processes to go quiet. */
  waitQuietSec: number;
}

export const USAGE = `usage: npm run bench -- [--quick] [--runs N] [--duration S] [--only id,id] [--no-pin] [--record]
  default   3 runs of 10 s at 10 and 50 connections per target, medians reported
  --quick   1 run of 3 s (development)
  --only    restrict to target ids (nginx, nginx-proxy, undici-proxy, remora, remora-accesslog,
            remora-1plugin, remora-1plugin-proxy-runtime, remora-3plugins, remora-header-router,
            remora-rate-limit, remora-auth-rs256, remora-auth-rs256-nocache)
  --no-pin  do not pin processes to CPUs with taskset
  --record  write bench/RESULTS.md with this run's figures
  --wait-quiet S  before each target's runs, wait up to S seconds until processes outside the
            bench use less than a quarter of a core (shared machines)`;

export function parseOptions(argv: string[]): BenchOptions {
  const o: BenchOptions = { runs: 3, durationSec: 10, warmupSec: 2, conns: [10, 50], only: [], pin: true, record: false, quick: false, waitQuietSec: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const num = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a}: expected a positive number, got ${JSON.stringify(v)}`);
      return n;
    };
    if (a === '--quick') Object.assign(o, { quick: true, runs: 1, durationSec: 3, warmupSec: 1 });
    else if (a === '--runs') o.runs = Math.round(num(next()));
    else if (a === '--duration') o.durationSec = Math.round(num(next()));
    else if (a === '--only') o.only = next().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--wait-quiet') o.waitQuietSec = num(next());
    else if (a === '--record') o.record = true;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}
