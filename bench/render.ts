// Re-renders a saved bench run (bench/out/last-run.json) as text tables, or as bench/RESULTS.md.
//   node bench/render.ts [FILE.json] [--record]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECK_HEAD, checkRows, checks, COST_LEGEND, TABLE_HEAD, tableRows, textTable } from './report.ts';
import { resultsMarkdown } from './results-md.ts';
import type { BenchRun } from './run.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? join(root, 'bench', 'out', 'last-run.json');
const run = JSON.parse(readFileSync(file, 'utf8')) as BenchRun;
const cs = checks(run.results);
if (process.argv.includes('--record')) {
  writeFileSync(join(root, 'bench', 'RESULTS.md'), resultsMarkdown(run, cs));
  console.log(`wrote bench/RESULTS.md from ${file}`);
} else {
  console.log(textTable(TABLE_HEAD, tableRows(run.results)));
  console.log('');
  console.log(textTable(CHECK_HEAD, checkRows(cs)));
  console.log(COST_LEGEND);
}
