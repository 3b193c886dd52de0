// Files of a new plugin project (`remora plugin new NAME`). Small on purpose: one plugin, one test,
// a config example and a Remora config that attaches the plugin to a route.
import { join, relative } from 'node:path';
import { REMORA_ROOT, SDK_ROOT } from './compile.ts';

export interface ProjectFiles {
  [path: string]: string;
}

/** `my-plugin` -> `MyPlugin` (class name prefix). */
function pascal(name: string): string {
  return name.split(/[-_]/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

export function projectFiles(name: string, dir: string): ProjectFiles {
  const cls = pascal(name);
  const rootId = name.replace(/-/g, '_');
  const remoraBin = join(REMORA_ROOT, 'bin', 'remora.js');
  const header = `x-${name}`;
  return {
    'package.json': JSON.stringify({
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      description: `${name}: a proxy-wasm plugin for Remora (and Envoy)`,
      scripts: {
        build: `node ${remoraBin} plugin build`,
        test: `node ${remoraBin} plugin test`,
        check: `node ${remoraBin} check -c remora.yaml`,
        start: `node ${remoraBin} run -c remora.yaml`,
      },
      dependencies: { '@remora/sdk': `file:${relative(dir, SDK_ROOT) || '.'}` },
    }, null, 2) + '\n',

    'assembly/index.ts': `// ${name}: adds a configured header to every response and refuses requests under a blocked path.
// Configuration (JSON): { "header": "${header}", "value": "hello", "blockedPrefix": "/admin" }
import { RootContext, HttpContext, Action, Json, registerRoot, request, response, sendLocalReply, log, Counter } from "@remora/sdk/assembly";
export * from "@remora/sdk/assembly/exports";

const blocked = new Counter("${rootId}_blocked_total");

class ${cls}Root extends RootContext {
  header: string = "${header}";
  value: string = "hello";
  blockedPrefix: string = "";

  onConfigure(configuration: string): bool {
    if (configuration.length == 0) return true;
    const config = Json.parse(configuration);
    if (config === null || !config.isObject) {
      log.error("${name}: configuration must be a JSON object (" + Json.lastError + ")");
      return false;
    }
    this.header = config.getString("header", this.header);
    this.value = config.getString("value", this.value);
    this.blockedPrefix = config.getString("blockedPrefix", "");
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new ${cls}(id, this);
  }
}

class ${cls} extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as ${cls}Root;
    const path = request.headers.get(":path");
    if (root.blockedPrefix.length > 0 && path !== null && path.startsWith(root.blockedPrefix)) {
      blocked.increment();
      sendLocalReply(403, "blocked by ${name}\\n");
      return Action.Pause;
    }
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as ${cls}Root;
    response.headers.set(root.header, root.value);
    return Action.Continue;
  }
}

registerRoot("${rootId}", (id: u32): RootContext => new ${cls}Root(id));
`,

    'assembly/tsconfig.json': JSON.stringify({
      extends: join(REMORA_ROOT, 'node_modules', 'assemblyscript', 'std', 'assembly.json'),
      include: ['./**/*.ts'],
    }, null, 2) + '\n',

    'config.example.json': JSON.stringify({ header: header, value: 'hello', blockedPrefix: '/admin' }, null, 2) + '\n',

    'remora.yaml': `# Remora with this plugin on every route: \`npm start\` (= remora run -c remora.yaml);
# \`npm run check\` validates it and starts the plugin once. The upstream "app" is expected on 127.0.0.1:8080.
admin:
  address: 127.0.0.1:4191
listeners:
  - name: inbound
    address: 127.0.0.1:4143
    routes:
      - name: all
        match: { pathPrefix: / }
        plugins: [${name}]
        cluster: app
clusters:
  - name: app
    endpoints: [127.0.0.1:8080]
plugins:
  - name: ${name}
    url: ./build/plugin.wasm
    rootId: ${rootId}
    config: { header: ${header}, value: hello, blockedPrefix: /admin }
`,

    'test/plugin.test.ts': `// Unit tests: the plugin runs in-process on Remora's proxy-wasm host, no sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadPlugin } from '@remora/sdk/harness';

const wasm = new URL('../build/plugin.wasm', import.meta.url).pathname;
const config = JSON.parse(readFileSync(new URL('../config.example.json', import.meta.url), 'utf8'));

describe('${name}', () => {
  it('adds the configured header to responses', async () => {
    const h = await loadPlugin(wasm, { rootId: '${rootId}', config });
    const s = await h.request({ request: { headers: { ':path': '/api/items' } } });
    assert.equal(s.response.status, 200);
    assert.equal(s.response.headers.get('${header}'), 'hello');
  });

  it('refuses blocked paths with a local 403 and counts them', async () => {
    const h = await loadPlugin(wasm, { rootId: '${rootId}', config });
    const s = await h.request({ request: { headers: { ':path': '/admin/users' } } });
    assert.equal(s.localReply?.status, 403);
    assert.equal(s.upstreamRequest, undefined);
    assert.equal(h.metric('${rootId}_blocked_total')?.value, 1);
  });

  it('rejects a configuration that is not a JSON object', async () => {
    await assert.rejects(loadPlugin(wasm, { rootId: '${rootId}', config: '[1, 2' }), /proxy_on_configure returned false/);
  });
});
`,

    'README.md': `# ${name}

A [proxy-wasm](https://github.com/proxy-wasm/spec) plugin (ABI 0.2.1) written in AssemblyScript with
Remora's SDK. It adds a header to every response and answers 403 for requests under a blocked path.
It runs in Remora and, unchanged, in Envoy.

## Configuration

| field | type | default | meaning |
| --- | --- | --- | --- |
| \`header\` | string | \`${header}\` | response header to add |
| \`value\` | string | \`hello\` | its value |
| \`blockedPrefix\` | string | none | requests whose path starts with it get a local 403 |

## Workflow

    npm run build     # remora plugin build: assembly/index.ts -> build/plugin.wasm
    npm test          # remora plugin test: builds, then runs test/*.test.ts with node:test
    npm run check     # remora check -c remora.yaml: the config and the plugin start
    npm start         # remora run -c remora.yaml: the plugin on a route in front of 127.0.0.1:8080
`,

    '.gitignore': 'build/\nnode_modules/\n',
  };
}
