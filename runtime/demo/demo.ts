// `remora demo` (what `npm start` runs): the demo app on 127.0.0.1:8080, Remora in front of it with
// runtime/demo/config.yaml, and curl lines that show it working. Ports are fixed so the printed
// lines work as is; a taken port stops the demo with a message naming it.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.ts';
import { parseAddress } from '../config/address.ts';
import type { Config } from '../config/types.ts';
import { EXIT_RUNTIME } from '../cli/exit-codes.ts';
import { serve } from '../cli/serve.ts';
import { startDemoApp } from './app.ts';
import { demoExamples } from './examples.ts';
import type { DemoApp } from './app.ts';

export const DEMO_CONFIG = fileURLToPath(new URL('./config.yaml', import.meta.url));
export const DEMO_APP_HOST = '127.0.0.1';
export const DEMO_APP_PORT = 8080;
/** Commands longer than this are printed below their comment rather than padded into a column. */
const LONG_COMMAND = 100;

export async function runDemo(): Promise<void> {
  const config = await loadConfig(DEMO_CONFIG);
  await ensurePortsFree(config);
  let app: DemoApp;
  try {
    app = await startDemoApp(DEMO_APP_HOST, DEMO_APP_PORT);
  } catch (e) {
    fail(`cannot start the demo app on ${DEMO_APP_HOST}:${DEMO_APP_PORT}: ${(e as Error).message}`);
  }
  await serve(DEMO_CONFIG, config, {
    ready: () => {
      process.stderr.write(banner(config));
    },
    stopped: () => app.close(),
  });
}

/** Every port the demo needs, checked up front so the error names the port instead of a stack. */
async function ensurePortsFree(config: Config): Promise<void> {
  const wanted: Array<[string, string, number]> = [['demo app', DEMO_APP_HOST, DEMO_APP_PORT]];
  const admin = parseAddress(config.admin.address)!;
  wanted.push(['admin', admin.host, admin.port]);
  for (const l of config.listeners) {
    const hp = parseAddress(l.address)!;
    wanted.push([`listener ${l.name}`, hp.host, hp.port]);
  }
  for (const [what, host, port] of wanted) {
    if (port === 0) continue;
    const error = await tryBind(host, port);
    if (error) {
      const hint = error === 'EADDRINUSE' ? `port ${port} is already in use (is another demo running? \`lsof -i :${port}\` shows who has it)` : `cannot bind port ${port} (${error})`;
      fail(`${what} on ${host}:${port}: ${hint}`);
    }
  }
}

function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

function fail(message: string): never {
  process.stderr.write(`remora demo: ${message}\n`);
  process.exit(EXIT_RUNTIME);
}

function banner(config: Config): string {
  const addresses = {
    inbound: hostPort(config, 'inbound', '127.0.0.1'),
    outbound: hostPort(config, 'outbound', '127.0.0.1'),
    admin: config.admin.address,
  };
  const sections = demoExamples(addresses, config).map(({ title, examples }) => {
    // Long lines (the ones carrying the demo token) get their comment above instead of padding.
    const short = examples.filter((e) => e.command.length <= LONG_COMMAND);
    const width = Math.max(0, ...short.map((e) => e.command.length));
    const lines = examples.map((e) =>
      e.command.length > LONG_COMMAND ? `  # ${e.shows}\n  ${e.command}` : `  ${e.command.padEnd(width)}   # ${e.shows}`);
    return `${title}:\n${lines.join('\n')}`;
  });
  return `
Remora demo is running.
  demo app   http://${DEMO_APP_HOST}:${DEMO_APP_PORT}
  inbound    http://${addresses.inbound}  (routes: ${routes(config, 'inbound')})
  outbound   http://${addresses.outbound}
  admin      http://${addresses.admin}

${sections.join('\n\n')}

Config: ${DEMO_CONFIG}   Stop: Ctrl-C
`;
}

/** A listener's address as a client dials it (0.0.0.0 becomes the loopback address). */
function hostPort(config: Config, listener: string, loopback: string): string {
  const address = config.listeners.find((l) => l.name === listener)?.address ?? '';
  const hp = parseAddress(address);
  return hp ? `${hp.host === '0.0.0.0' || hp.host === '::' ? loopback : hp.host}:${hp.port}` : address;
}

function routes(config: Config, listener: string): string {
  return config.listeners.find((l) => l.name === listener)?.routes.map((r) => r.name).join(', ') ?? '';
}
