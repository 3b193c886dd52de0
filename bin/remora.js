#!/usr/bin/env node
// Entry point for the `remora` bin. Plain JavaScript on purpose: it must run on whatever
// `node` the shell has, notice when that node cannot strip TypeScript types (Node < 24),
// and re-execute itself on the Node 24 that the project pins as a dev dependency.
import { spawn } from 'node:child_process';
// A namespace import: a named import of something older Nodes lack (enableCompileCache came in
// 22.1) would fail at link time, before the version check below could re-execute on Node 24.
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major >= MIN_MAJOR) {
  // Keep V8's compiled code and Node's type-stripped sources between runs: after the first start
  // the TypeScript stripper (a Wasm module that keeps ~25 MB of memory once used) is never loaded,
  // and start-up is faster. The sources still run as TypeScript; the cache follows their mtimes.
  nodeModule.enableCompileCache?.(join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'remora-compile'));
  await import('../runtime/cli/main.ts');
} else {
  let pinned;
  try {
    const require = nodeModule.createRequire(import.meta.url);
    pinned = join(dirname(require.resolve('node/package.json')), 'bin', 'node');
  } catch {
    console.error(`remora: needs Node.js ${MIN_MAJOR}+, found ${process.version}; run \`npm install\` to fetch the pinned runtime`);
    process.exit(1);
  }
  const child = spawn(pinned, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  // Forward signals so SIGTERM drains and SIGHUP reloads the real process.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
}
