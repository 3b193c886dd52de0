// The benchmark's header-adding plugin, written with Remora's SDK: sets one response header
// from its configuration ({"name": "x-bench-1", "value": "1"}). The smallest useful plugin, so
// its cost is the host's per-request price for running a plugin at all.
import { RootContext, HttpContext, Action, Json, registerRoot, response, log } from "../../../../sdk/assembly/index";
export * from "../../../../sdk/assembly/exports";

class AddHeaderRoot extends RootContext {
  name: string = "x-bench";
  value: string = "1";

  onConfigure(configuration: string): bool {
    const json = Json.parse(configuration);
    if (json === null) {
      log.error("add-header: configuration is not JSON: " + Json.lastError);
      return false;
    }
    this.name = json.getString("name", this.name);
    this.value = json.getString("value", this.value);
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new AddHeader(id, this);
  }
}

class AddHeader extends HttpContext {
  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const root = this.root as AddHeaderRoot;
    response.headers.set(root.name, root.value);
    return Action.Continue;
  }
}

registerRoot("", (id: u32): RootContext => new AddHeaderRoot(id));
