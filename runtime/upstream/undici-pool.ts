// undici's Pool without the rest of undici. `import { Pool } from 'undici'` evaluates the whole package
// (fetch, WebSocket, EventSource, cache, mock agents...), about 14 MB of RSS that a sidecar never uses;
// loading the Pool module alone keeps the same class. Types still come from the package entry.
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

const require = createRequire(import.meta.url);

export const Pool: typeof UndiciPool = require('undici/lib/dispatcher/pool.js');
export type Pool = UndiciPool;
