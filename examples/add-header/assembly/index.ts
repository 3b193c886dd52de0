// add-header: adds configured headers to requests (before the upstream sees them) and to responses.
// Configuration (JSON): { "request": { "x-name": "value", ... }, "response": { "x-name": "value", ... } }
import { RootContext, HttpContext, Action, Header, Json, JsonValue, registerRoot, request, response, log } from "@remora/sdk/assembly";
export * from "@remora/sdk/assembly/exports";

function readHeaders(object: JsonValue | null): Header[] {
  const headers = new Array<Header>();
  if (object === null) return headers;
  for (let i = 0; i < object.keys.length; i++) {
    headers.push(new Header(object.keys[i], object.items[i].asString()));
  }
  return headers;
}

class AddHeaderRoot extends RootContext {
  requestHeaders: Header[] = [];
  responseHeaders: Header[] = [];

  onConfigure(configuration: string): bool {
    const config = Json.parse(configuration.length == 0 ? "{}" : configuration);
    if (config === null || !config.isObject) {
      log.error("add-header: configuration must be a JSON object (" + Json.lastError + ")");
      return false;
    }
    this.requestHeaders = readHeaders(config.getObject("request"));
    this.responseHeaders = readHeaders(config.getObject("response"));
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new AddHeader(id, this);
  }
}

class AddHeader extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = (this.root as AddHeaderRoot).requestHeaders;
    for (let i = 0; i < headers.length; i++) request.headers.set(headers[i].name, headers[i].value);
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    const headers = (this.root as AddHeaderRoot).responseHeaders;
    for (let i = 0; i < headers.length; i++) response.headers.set(headers[i].name, headers[i].value);
    return Action.Continue;
  }
}

registerRoot("add_header", (id: u32): RootContext => new AddHeaderRoot(id));
