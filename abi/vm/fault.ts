// A host-detected plugin fault (garbage allocator result, proc_exit, memory over the cap, bad status).
// Thrown from inside a hostcall, it unwinds through Wasm like a trap and fails the VM.

export class VmFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmFault';
  }
}
