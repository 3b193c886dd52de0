// Signals that arrive while `remora run` / `remora demo` is still loading modules and config,
// before serve.ts installs the real handlers. Without these, Node's default action applies and a
// SIGHUP (reload) would kill a process that is about to serve. No imports: this runs first.
//   SIGHUP           remembered; serve.ts reloads once start-up is done
//   SIGTERM, SIGINT  nothing is serving yet, so there is nothing to drain: exit 0 at once

let hupWhileStarting = false;
const onHup = () => {
  hupWhileStarting = true;
};
const onStop = () => process.exit(0);

export function installEarlySignals(): void {
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
}

/** Removes the early handlers; true when a SIGHUP arrived meanwhile. */
export function releaseEarlySignals(): boolean {
  process.off('SIGHUP', onHup);
  process.off('SIGTERM', onStop);
  process.off('SIGINT', onStop);
  return hupWhileStarting;
}
