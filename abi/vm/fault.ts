// A host-detected plugin fault (garbage allocator result, proc_exit, memory over the cap, bad status).
// Thrown from inside a hostcall, it unwinds through Wasm like a trap and fails the VM.

export class VmFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmFault';
  }
}

/** WASI proc_exit: unwinds the guest. Exit code 0 from a start function is a normal end (WASI commands). */
export class ProcExit extends VmFault {
  readonly code: number;
  constructor(code: number) {
    super(`plugin called proc_exit(${code})`);
    this.name = 'ProcExit';
    this.code = code;
  }
}
