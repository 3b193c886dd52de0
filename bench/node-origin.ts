// Fallback origin when nginx is not installed: node:http answering the same small body.
// Slower than nginx, so the proxies' figures are lower; the report says which origin was used.
//   node bench/node-origin.ts   → prints {"address":"127.0.0.1:<port>"} when listening
import { createServer } from 'node:http';
import { ORIGIN_BODY } from './nginx.ts';

const body = Buffer.from(ORIGIN_BODY);
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 75_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') console.log(JSON.stringify({ address: `127.0.0.1:${addr.port}` }));
});
process.on('SIGTERM', () => process.exit(0));
