// The bench's header-adding plugin written with @solo-io/proxy-runtime (a third-party
// AssemblyScript SDK made for Envoy), for comparison with the SDK-built one in ../add-header:
// sets one response header, fixed to `x-bench-1: 1` (that SDK's own onConfigure misreads the
// configuration buffer, see test/fixtures/proxy-runtime/assembly/lib/host.ts, so none is read).
export * from "@solo-io/proxy-runtime/proxy";
import { RootContext, Context, registerRootContext, FilterHeadersStatusValues, stream_context } from "@solo-io/proxy-runtime";

class AddHeaderRoot extends RootContext {
  name: string = "x-bench-1";
  value: string = "1";

  createContext(context_id: u32): Context {
    return new AddHeader(context_id, this);
  }

  onConfigure(configuration_size: u32): bool {
    return true;
  }
}

class AddHeader extends Context {
  constructor(context_id: u32, root_context: AddHeaderRoot) {
    super(context_id, root_context);
  }

  onResponseHeaders(count: u32, end_of_stream: bool): FilterHeadersStatusValues {
    const root = this.root_context as AddHeaderRoot;
    stream_context.headers.response.replace(root.name, root.value);
    return FilterHeadersStatusValues.Continue;
  }
}

registerRootContext((context_id: u32): RootContext => new AddHeaderRoot(context_id), "");
