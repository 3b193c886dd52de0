// proxy_http_call through Remora: request to a configured cluster, answered the way Envoy's async
// client answers (reference §7.6): a timeout is a 504 response, an unreachable cluster a 503
// response; only a reset mid-response arrives as "no response".

import type { Dispatcher } from 'undici';
import type { CalloutHandle, CalloutStart, HttpCallRequest, HttpCallResponse, HeaderPairs } from '../../abi/index.ts';
import type { CalloutEndpoints } from './cluster-endpoints.ts';

function plainResponse(status: number, body: string): HttpCallResponse {
  return {
    headers: [[':status', String(status)], ['content-type', 'text/plain'], ['content-length', String(body.length)]],
    body: Buffer.from(body),
    trailers: [],
  };
}

function toPairs(headers: Record<string, string | string[] | undefined>): HeaderPairs {
  const out: HeaderPairs = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([k.toLowerCase(), x]);
    else out.push([k.toLowerCase(), v]);
  }
  return out;
}

export function startHttpCallout(
  endpoints: CalloutEndpoints,
  req: HttpCallRequest,
  done: (res: HttpCallResponse | undefined) => void,
): CalloutStart | CalloutHandle {
  const cluster = endpoints.cluster(req.cluster);
  if (!cluster) return 'unknown-cluster';
  const endpoint = endpoints.pick(cluster);
  if (!endpoint) {
    queueMicrotask(() => done(plainResponse(503, 'no healthy upstream')));
    return 'ok';
  }
  let method = 'GET';
  let path = '/';
  const headers: string[] = [];
  for (const [k, v] of req.headers) {
    if (k === ':method') method = v;
    else if (k === ':path') path = v;
    else if (k === ':authority') headers.push('host', v);
    else if (!k.startsWith(':')) headers.push(k, v);
  }
  const ac = new AbortController();
  let finished = false;
  const finish = (r: HttpCallResponse | undefined) => {
    if (finished) return;
    finished = true;
    if (timer) clearTimeout(timer);
    done(r);
  };
  const timer = req.timeoutMs > 0 ? setTimeout(() => {
    ac.abort();
    finish(plainResponse(504, 'upstream request timeout'));
  }, req.timeoutMs) : undefined;
  timer?.unref();

  if (cluster.protocol === 'http2') {
    const session = endpoints.session(endpoint);
    const h2headers: Record<string, string | string[]> = { ':method': method, ':path': path, ':scheme': 'http' };
    for (let i = 0; i < headers.length; i += 2) {
      const k = headers[i] === 'host' ? ':authority' : headers[i]!;
      if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding') continue;
      const cur = h2headers[k];
      h2headers[k] = cur === undefined ? headers[i + 1]! : ([] as string[]).concat(cur, headers[i + 1]!);
    }
    let stream: ReturnType<typeof session.request>;
    try {
      stream = session.request(h2headers, { endStream: req.body.length === 0 });
    } catch {
      queueMicrotask(() => finish(plainResponse(503, 'upstream connect error')));
      return { cancel: () => {} };
    }
    const chunks: Buffer[] = [];
    let resHeaders: HeaderPairs | undefined;
    let trailers: HeaderPairs = [];
    stream.on('response', (h) => {
      resHeaders = [[':status', String(h[':status'] ?? 200)], ...toPairs(h as Record<string, string | string[]>).filter(([k]) => !k.startsWith(':'))];
    });
    stream.on('trailers', (t) => {
      trailers = toPairs(t as Record<string, string | string[]>);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => finish(resHeaders ? { headers: resHeaders, body: Buffer.concat(chunks), trailers } : undefined));
    stream.on('error', () => finish(resHeaders ? undefined : plainResponse(503, 'upstream connect error')));
    if (req.body.length > 0) stream.end(Buffer.from(req.body));
    return { cancel: () => { finished = true; if (timer) clearTimeout(timer); stream.close(); } };
  }

  const pool = endpoints.pool(endpoint, cluster.connectTimeoutMs);
  let gotHeaders = false;
  pool
    .request({
      method: method as Dispatcher.HttpMethod,
      path,
      headers,
      body: req.body.length > 0 ? Buffer.from(req.body) : undefined,
      signal: ac.signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    })
    .then(async (res) => {
      gotHeaders = true;
      const body = Buffer.from(await res.body.arrayBuffer());
      finish({
        headers: [[':status', String(res.statusCode)], ...toPairs(res.headers as Record<string, string | string[]>)],
        body,
        trailers: toPairs((res.trailers ?? {}) as Record<string, string | string[]>),
      });
    })
    .catch((err: Error & { code?: string }) => {
      if (finished) return;
      // Connection-level failures are answered as Envoy's async client does: a 503 response.
      finish(gotHeaders ? undefined : plainResponse(503, `upstream connect error: ${err.code ?? err.message}`));
    });
  return { cancel: () => { finished = true; if (timer) clearTimeout(timer); ac.abort(); } };
}
