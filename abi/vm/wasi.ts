// WASI preview1 as Envoy's cpp-host answers it (reference §6.2): stdout/stderr into the plugin log,
// clocks, random, environ from the plugin's env config, proc_exit fails the VM; every other call
// (files, sockets) does nothing and answers cpp-host's errno. Registered under both
// wasi_snapshot_preview1 and wasi_unstable.

import { randomFillSync } from 'node:crypto';
import type { GuestMemory } from '../memory/guest-memory.ts';
import { ProcExit } from './fault.ts';

const SUCCESS = 0;
const BADF = 8;
const NOTDIR = 20;
const FAULT = 21;
const INVAL = 28;
const NOENT = 44;
const NOSYS = 52;
const NOTSUP = 58;

/** What the WASI shim needs from its VM. */
export interface WasiEnv {
  memory(): GuestMemory;
  /** fd 1 -> info (2), fd 2 -> error (4). */
  log(level: number, message: string): void;
  /** KEY=VALUE entries. */
  environ(): string[];
}

const isStdio = (fd: number) => fd === 1 || fd === 2;

export function wasiImports(env: WasiEnv): Record<string, (...args: any[]) => number | void> {
  const mem = () => env.memory();

  function write(fd: number, iovs: number, iovsLen: number, retPtr: number): number {
    fd >>>= 0;
    iovs >>>= 0;
    iovsLen >>>= 0;
    retPtr >>>= 0;
    if (!isStdio(fd)) return BADF;
    const m = mem();
    if (!m.ok(iovs, iovsLen * 8)) return FAULT;
    const b = m.bytes();
    let text = '';
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const p = b.readUInt32LE(iovs + i * 8);
      const l = b.readUInt32LE(iovs + i * 8 + 4);
      if (p + l > b.length) return FAULT;
      text += b.toString('utf8', p, p + l);
      total += l;
    }
    if (!m.setU32(retPtr, total)) return FAULT;
    if (text.endsWith('\n')) text = text.slice(0, -1);
    env.log(fd === 1 ? 2 : 4, text);
    return SUCCESS;
  }

  function sizes(list: string[], countPtr: number, sizePtr: number): number {
    const m = mem();
    let size = 0;
    for (const s of list) size += Buffer.byteLength(s) + 1;
    if (!m.setU32(countPtr >>> 0, list.length) || !m.setU32(sizePtr >>> 0, size)) return FAULT;
    return SUCCESS;
  }

  function fill(list: string[], ptrs: number, buf: number): number {
    const m = mem();
    ptrs >>>= 0;
    buf >>>= 0;
    let size = 0;
    for (const s of list) size += Buffer.byteLength(s) + 1;
    if (!m.ok(ptrs, list.length * 4) || !m.ok(buf, size)) return FAULT;
    const b = m.bytes();
    for (let i = 0; i < list.length; i++) {
      b.writeUInt32LE(buf, ptrs + i * 4);
      buf += b.write(list[i]!, buf, 'utf8');
      b[buf++] = 0;
    }
    return SUCCESS;
  }

  const stdioOnly = (fd: number) => (isStdio(fd >>> 0) ? SUCCESS : BADF);
  const notsup = () => NOTSUP;

  return {
    fd_write: write,
    fd_pwrite: (fd: number, iovs: number, n: number, _off: bigint, ret: number) => write(fd, iovs, n, ret),
    fd_read: () => NOSYS,
    fd_pread: () => NOSYS,
    fd_prestat_dir_name: () => NOSYS,
    fd_fdstat_set_flags: () => NOSYS,
    fd_seek: () => SUCCESS,
    fd_close: () => SUCCESS,
    fd_fdstat_get: (fd: number, ret: number) => {
      if (!isStdio(fd >>> 0)) return BADF;
      const m = mem();
      ret >>>= 0;
      if (!m.ok(ret, 24)) return FAULT;
      const b = m.bytes();
      b.fill(0, ret, ret + 24);
      b[ret] = 2; // filetype: character device
      b.writeBigUInt64LE(64n, ret + 8); // rights_base = FD_WRITE
      return SUCCESS;
    },
    fd_prestat_get: () => BADF,
    fd_filestat_get: () => BADF,
    path_open: () => NOENT,
    path_filestat_get: notsup,
    path_create_directory: notsup,
    path_link: notsup,
    path_readlink: (_fd: number, _p: number, _l: number, _buf: number, _len: number, ret: number) => {
      mem().setU32(ret >>> 0, 0);
      return NOTSUP;
    },
    path_remove_directory: notsup,
    path_rename: notsup,
    path_symlink: notsup,
    path_unlink_file: notsup,
    path_filestat_set_times: notsup,
    sock_accept: notsup,
    sock_recv: notsup,
    sock_send: notsup,
    sock_shutdown: notsup,
    fd_readdir: (_fd: number, _buf: number, _len: number, _cookie: bigint, ret: number) => {
      mem().setU32(ret >>> 0, 0);
      return NOTDIR;
    },
    fd_advise: () => SUCCESS,
    fd_allocate: stdioOnly,
    fd_datasync: stdioOnly,
    fd_sync: stdioOnly,
    fd_fdstat_set_rights: stdioOnly,
    fd_filestat_set_size: stdioOnly,
    fd_filestat_set_times: stdioOnly,
    fd_tell: (fd: number, ret: number) => {
      if (!isStdio(fd >>> 0)) return BADF;
      mem().setU64(ret >>> 0, 0n);
      return SUCCESS;
    },
    fd_renumber: (a: number, b: number) => (isStdio(a >>> 0) && isStdio(b >>> 0) ? NOTSUP : BADF),
    environ_sizes_get: (countPtr: number, sizePtr: number) => sizes(env.environ(), countPtr, sizePtr),
    environ_get: (ptrs: number, buf: number) => fill(env.environ(), ptrs, buf),
    args_sizes_get: (countPtr: number, sizePtr: number) => sizes([], countPtr, sizePtr),
    args_get: () => SUCCESS,
    clock_time_get: (id: number, _precision: bigint, ret: number) => {
      let ns: bigint;
      if (id === 0) ns = BigInt(Date.now()) * 1_000_000n;
      else if (id === 1) ns = process.hrtime.bigint();
      else return NOTSUP;
      return mem().setU64(ret >>> 0, ns) ? SUCCESS : FAULT;
    },
    clock_res_get: (id: number, ret: number) => {
      if (id !== 0 && id !== 1) return NOTSUP;
      return mem().setU64(ret >>> 0, 1n) ? SUCCESS : FAULT;
    },
    random_get: (buf: number, len: number) => {
      buf >>>= 0;
      len >>>= 0;
      if (len === 0) return SUCCESS;
      if (len > 65536) return INVAL;
      const m = mem();
      if (!m.ok(buf, len)) return FAULT;
      randomFillSync(m.bytes(), buf, len);
      return SUCCESS;
    },
    sched_yield: () => SUCCESS,
    poll_oneoff: (_in: number, _out: number, _n: number, ret: number) => {
      mem().setU32(ret >>> 0, 0);
      return SUCCESS; // Go's runtime aborts on an error here
    },
    proc_exit: (code: number) => {
      if (code !== 0) env.log(4, `proc_exit(${code})`);
      throw new ProcExit(code);
    },
    proc_raise: () => NOTSUP,
  };
}
