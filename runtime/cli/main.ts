// Entry of the `remora` command line (bin/remora.js imports this). Kept tiny so that `run` and
// `demo` hold their signals (early-signals.ts) before the rest of the program loads.
import { installEarlySignals } from './early-signals.ts';

const args = process.argv.slice(2);
if (args[0] === 'run' || args[0] === 'demo') installEarlySignals();
const { main } = await import('./program.ts');
await main(args);
