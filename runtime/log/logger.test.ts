// JSON lines, level from config, REMORA_LOG overriding it.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { applyLogConfig, createLogger, effectiveLevel } from './logger.ts';

function capture(level: string, env: NodeJS.ProcessEnv) {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
  });
  const log = createLogger({ log: { level, accessLog: false } }, { destination: out, env });
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with a level name', async () => {
    const { log, lines } = capture('info', {});
    log.info({ listener: 'inbound', address: '127.0.0.1:1' }, 'listener ready');
    log.debug('hidden at info');
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.msg, 'listener ready');
    assert.equal(lines[0]!.level, 'info');
    assert.equal(lines[0]!.listener, 'inbound');
    assert.equal(typeof lines[0]!.time, 'number');
  });

  it('REMORA_LOG overrides the configured level, also after a reload', () => {
    const { log } = capture('info', { REMORA_LOG: 'debug' });
    assert.equal(log.level, 'debug');
    applyLogConfig(log, { log: { level: 'error', accessLog: false } }, { REMORA_LOG: 'debug' });
    assert.equal(log.level, 'debug');
    applyLogConfig(log, { log: { level: 'error', accessLog: false } }, {});
    assert.equal(log.level, 'error');
  });

  it('ignores a REMORA_LOG that is not a level, and says so', async () => {
    assert.equal(effectiveLevel('warn', { REMORA_LOG: 'loud' }), 'warn');
    const { log, lines } = capture('warn', { REMORA_LOG: 'loud' });
    assert.equal(log.level, 'warn');
    await new Promise((r) => setImmediate(r));
    assert.equal(lines[0]!.msg, 'ignoring REMORA_LOG: not a log level');
  });
});
