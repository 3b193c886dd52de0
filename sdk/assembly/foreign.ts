// Foreign functions (proxy_call_foreign_function): computations a host offers by name. Each host has
// its own set (Envoy: compress, uncompress, declare_property, ...; Remora: compress, uncompress,
// clear_route_cache), and a host without the name answers NotFound: a plugin meant to run anywhere
// keeps a fallback.
import { proxy_call_foreign_function } from "./imports";
import { WasmResult } from "./enums";
import { OUT_PTR, OUT_SIZE, resetOut, takeResult, utf8, ptrOf } from "./memory";

export class ForeignCallResult {
  /** Ok, NotFound (the host has no such function), or the host's failure status. */
  status: WasmResult;
  /** The function's result; empty unless status is Ok. */
  data: ArrayBuffer;
  constructor(status: WasmResult, data: ArrayBuffer) {
    this.status = status;
    this.data = data;
  }
}

/** Calls the host's foreign function `name` with `args`. */
export function callForeignFunction(name: string, args: ArrayBuffer): ForeignCallResult {
  const n = utf8(name);
  resetOut();
  const status = <WasmResult>proxy_call_foreign_function(ptrOf(n), <usize>n.byteLength, ptrOf(args), <usize>args.byteLength, OUT_PTR, OUT_SIZE);
  const data = takeResult();
  return new ForeignCallResult(status, status == WasmResult.Ok ? data : new ArrayBuffer(0));
}
