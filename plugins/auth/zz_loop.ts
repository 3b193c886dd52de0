import { loadPlugin } from '@remora/sdk/harness';
import { pluginWasmPath } from '/work/main/plugins/build.ts';
import { rs256Fixture } from '/work/main/bench/plugins.ts';
const { jwks, token } = rs256Fixture();
const N = Number(process.argv[2] ?? 3000);
for (let round = 0; round < 2; round++)
for (const [cacheSize, hostCrypto] of [[0, true], [0, false], [100, true]] as const) {
  const h = await loadPlugin(pluginWasmPath('auth'), { config: { realm: 'bench', jwt: { jwks, issuers: ['https://bench.remora/'], audiences: ['bench'], cacheSize, hostCrypto } } });
  const req = { request: { headers: { authorization: `Bearer ${token}` } } };
  for (let i = 0; i < 500; i++) await h.request(req);
  const t = performance.now();
  for (let i = 0; i < N; i++) await h.request(req);
  console.log('cacheSize', cacheSize, 'hostCrypto', hostCrypto, ((performance.now() - t) / N * 1000).toFixed(1), 'us/request (harness)');
}
