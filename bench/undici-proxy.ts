// The honest minimal reverse proxy a Node developer would write: node:http in front,
// undici's keep-alive Pool behind, bodies piped both ways, hop-by-hop headers dropped.
// Used by the benchmark as the "plain Node" baseline Remora is compared with.
//   node bench/undici-proxy.ts <origin url>   → prints {"address":"127.0.0.1:<port>"} when listening
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const origin = process.argv[2];
if (!origin) {
  console.error('usage: undici-proxy.ts <origin url> [port]');
  process.exit(2);
}
const port = Number(process.argv[3] ?? 0);

// Connection-level headers that must not be forwarded (RFC 9110 §7.6.1); undici refuses some of them anyway.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const pool = new Pool(origin, { connections: 128 });

const server = createServer(async (req, res) => {
  try {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const upstream = await pool.request({
      path: req.url ?? '/',
      method: req.method as 'GET',
      headers: forwardable(req.headers),
      body: hasBody ? req : null,
    });
    res.writeHead(upstream.statusCode, forwardable(upstream.headers));
    // .pipe rather than stream.pipeline: pipeline allocates an AbortController per call and
    // aborts it on finish, building a DOMException with a stack trace for every request
    // (~9% of this proxy's CPU in a profile). Errors are still handled on both sides.
    upstream.body.on('error', () => res.destroy());
    res.on('close', () => upstream.body.destroy());
    upstream.body.pipe(res);
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 75_000;
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') console.log(JSON.stringify({ address: `127.0.0.1:${addr.port}` }));
});
process.on('SIGTERM', () => {
  server.close();
  void pool.close().then(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
