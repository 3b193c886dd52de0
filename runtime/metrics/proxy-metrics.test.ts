// What /metrics shows after the data plane's calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusProxyMetrics, prometheusName } from './index.ts';

function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe('PrometheusProxyMetrics', () => {
  it('counts requests by code and classification, with latency and in-flight', async () => {
    const m = new PrometheusProxyMetrics();
    const api = { listener: 'inbound', route: 'api', cluster: 'app' };
    for (let i = 0; i < 3; i++) m.requestStart({ ...api });
    m.requestEnd({ ...api }, 200, 4);
    m.requestEnd({ ...api }, 503, 1, 'upstream unavailable');
    m.requestStart({ listener: 'inbound', route: '', cluster: '' });
    m.requestEnd({ listener: 'inbound', route: '', cluster: '' }, 404, 0.2, 'no route');
    const text = await m.text();
    assert.deepEqual(series(text, 'remora_requests_total').sort(), [
      'remora_requests_total{listener="inbound",route="",cluster="",code="404",classification="failure"} 1',
      'remora_requests_total{listener="inbound",route="api",cluster="app",code="200",classification="success"} 1',
      'remora_requests_total{listener="inbound",route="api",cluster="app",code="503",classification="failure"} 1',
    ]);
    assert.ok(text.includes('remora_requests_in_flight{listener="inbound",route="api",cluster="app"} 1'));
    assert.ok(text.includes('remora_request_duration_ms_bucket{listener="inbound",route="api",cluster="app",le="1"} 1'));
    assert.ok(text.includes('remora_request_duration_ms_bucket{listener="inbound",route="api",cluster="app",le="5"} 2'));
    assert.ok(text.includes('remora_request_duration_ms_bucket{listener="inbound",route="api",cluster="app",le="+Inf"} 2'));
    assert.ok(text.includes('remora_request_duration_ms_sum{listener="inbound",route="api",cluster="app"} 5'));
    assert.ok(text.includes('remora_request_duration_ms_count{listener="inbound",route="api",cluster="app"} 2'));
    assert.ok(text.includes('# TYPE remora_request_duration_ms histogram'));
  });

  it('a 5xx without a proxy error is a failure, a 4xx from upstream a success', async () => {
    const m = new PrometheusProxyMetrics({ processMetrics: false });
    const l = { listener: 'l', route: 'r', cluster: 'c' };
    m.requestStart(l);
    m.requestEnd(l, 500, 1);
    m.requestStart(l);
    m.requestEnd(l, 404, 1);
    const text = await m.text();
    assert.ok(text.includes('code="500",classification="failure"} 1'));
    assert.ok(text.includes('code="404",classification="success"} 1'));
  });

  it('tracks connections and bytes per listener', async () => {
    const m = new PrometheusProxyMetrics({ processMetrics: false });
    m.connectionOpen('inbound', 'http1');
    m.connectionOpen('inbound', 'http2');
    m.connectionOpen('inbound', 'http1');
    m.connectionClose('inbound', 'http1', 120, 4000);
    m.connectionClose('inbound', 'http2', 30, 5);
    const text = await m.text();
    assert.deepEqual(series(text, 'remora_connections_open').sort(), [
      'remora_connections_open{listener="inbound",protocol="http1"} 1',
      'remora_connections_open{listener="inbound",protocol="http2"} 0',
    ]);
    assert.ok(text.includes('remora_connections_total{listener="inbound",protocol="http1"} 2'));
    assert.ok(text.includes('remora_bytes_total{listener="inbound",direction="in"} 150'));
    assert.ok(text.includes('remora_bytes_total{listener="inbound",direction="out"} 4005'));
  });

  it('counts config reloads by result', async () => {
    const m = new PrometheusProxyMetrics({ processMetrics: false });
    m.configReload(true);
    m.configReload(false);
    m.configReload(true);
    const text = await m.text();
    assert.ok(text.includes('remora_config_reloads_total{result="success"} 2'));
    assert.ok(text.includes('remora_config_reloads_total{result="failure"} 1'));
  });

  it('includes process metrics on its own registry', async () => {
    const text = await new PrometheusProxyMetrics().text();
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
  });

  it('resetMetrics zeroes series that are still being counted', async () => {
    const m = new PrometheusProxyMetrics({ processMetrics: false });
    const l = { listener: 'l', route: 'r', cluster: 'c' };
    m.requestStart(l);
    m.requestEnd(l, 200, 1);
    m.registry.resetMetrics();
    m.requestStart(l);
    m.requestEnd(l, 200, 1);
    assert.ok((await m.text()).includes('code="200",classification="success"} 1'));
  });
});

describe('plugin metric names', () => {
  it('maps proxy-wasm names to Prometheus names', () => {
    assert.equal(prometheusName('envoy.wasm.auth-denied'), 'envoy_wasm_auth_denied');
    assert.equal(prometheusName('9lives'), '_9lives');
  });
});
