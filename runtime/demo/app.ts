// The demo application Remora sits in front of in `npm start`: a few JSON endpoints that make
// proxy behaviour visible (headers added by Remora show up in /echo, /slow exercises timeouts).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const ITEMS = [
  { id: 1, name: 'remora', kind: 'fish' },
  { id: 2, name: 'shark', kind: 'fish' },
  { id: 3, name: 'sidecar', kind: 'proxy' },
];

/** Longest /slow delay, so a typo cannot park a request for hours. */
const MAX_SLOW_MS = 60_000;

export interface DemoApp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startDemoApp(host: string, port: number): Promise<DemoApp> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo.local');
  switch (url.pathname) {
    case '/':
      json(res, 200, { hello: 'from the demo app behind Remora', try: ['/api/items', '/api/items/1', '/echo', '/slow?ms=500'] });
      return;
    case '/api/items':
      json(res, 200, { items: ITEMS });
      return;
    case '/echo': {
      const body = await readBody(req);
      json(res, 200, { method: req.method, path: req.url, headers: req.headers, body: body.toString('utf8') });
      return;
    }
    case '/slow': {
      const ms = Math.min(Math.max(Number(url.searchParams.get('ms') ?? 1000) || 0, 0), MAX_SLOW_MS);
      await new Promise((resolve) => setTimeout(resolve, ms));
      json(res, 200, { sleptMs: ms });
      return;
    }
  }
  const item = /^\/api\/items\/(\d+)$/.exec(url.pathname);
  if (item) {
    const found = ITEMS.find((i) => i.id === Number(item[1]));
    if (found) json(res, 200, found);
    else json(res, 404, { error: `no item ${item[1]}` });
    return;
  }
  json(res, 404, { error: 'not found', path: url.pathname });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
