// A plugin that exercises every SDK API, one request path per feature; sdk/test/*.test.ts drive it
// through the harness. Configuration: { "greeting": string, "tickMs": number, "queue": string }.
import {
  RootContext, HttpContext, TcpContext, BaseContext, StreamType, PeerType, downstream, upstream, Action, WasmResult, Header, HttpCallResponse, Json, JsonValue,
  registerRoot, request, response, sendLocalReply, closeStream, httpCall, setTickPeriod, log, SharedData, SharedQueue,
  Counter, Gauge, Histogram, GrpcCallResponse, grpcCall, getProperty, getPropertyString, getPropertyInt64, getPropertyBool, decodeMap,
  setProperty, currentTimeNanos, pendingHttpCalls, callForeignFunction,
} from "@remora/sdk/assembly";
export * from "@remora/sdk/assembly/exports";

const requests = new Counter("sdk_test_requests_total");
const active = new Gauge("sdk_test_active_streams");
const bodySizes = new Histogram("sdk_test_body_bytes");
const ticks = new Counter("sdk_test_ticks_total");

class FeaturesRoot extends RootContext {
  greeting: string = "";
  queueId: u32 = 0;
  queueName: string = "";
  received: string[] = [];
  tickCall: bool = false;
  /** Streams parked by /postpone until the next tick. */
  postponed: Features[] = [];

  onConfigure(configuration: string): bool {
    const config = Json.parse(configuration);
    if (config === null) {
      log.error("features: bad configuration: " + Json.lastError);
      return false;
    }
    if (!config.isObject) {
      log.error("features: configuration must be an object");
      return false;
    }
    this.greeting = config.getString("greeting", "hello");
    const tickMs = config.getInt("tickMs", 0);
    if (tickMs > 0) setTickPeriod(<u32>tickMs);
    this.tickCall = config.getBool("tickCall", false);
    this.queueName = config.getString("queue", "");
    if (this.queueName.length > 0) this.queueId = SharedQueue.register(this.queueName);
    log.info("features: configured, greeting " + this.greeting);
    return true;
  }

  onTick(): void {
    ticks.increment();
    log.debug("features: tick");
    if (ticks.get() == 0) log.error("features: tick counter reads 0 after an increment");
    for (let i = 0; i < this.postponed.length; i++) this.postponed[i].resumeRequest();
    this.postponed = [];
    if (this.tickCall) {
      httpCall("auth", [new Header(":method", "GET"), new Header(":path", "/token"), new Header(":authority", "auth.local")],
        null, [], 0, onTokenResponse);
    }
  }

  onQueueReady(queueId: u32): void {
    let item = SharedQueue.dequeueText(queueId);
    while (item !== null) {
      this.received.push(item);
      log.info("features: queue item " + item);
      item = SharedQueue.dequeueText(queueId);
    }
  }

  newHttpContext(id: u32): HttpContext {
    return new Features(id, this);
  }

  newTcpContext(id: u32): TcpContext | null {
    return new LineFilter(id, this);
  }
}

const connections = new Counter("sdk_test_connections_total");

/** TCP: forwards client lines upper-cased (holding partial lines), prefixes upstream data, closes on "quit". */
class LineFilter extends TcpContext {
  onNewConnection(): Action {
    connections.increment();
    return Action.Continue;
  }

  onDownstreamData(size: u32, endOfStream: bool): Action {
    const text = downstream.data.text();
    if (text.includes("quit")) {
      this.close(StreamType.Downstream);
      return Action.Pause;
    }
    if (!endOfStream && !text.endsWith("\n")) return Action.Pause; // wait for the rest of the line
    downstream.data.setText(text.toUpperCase());
    return Action.Continue;
  }

  onUpstreamData(size: u32, endOfStream: bool): Action {
    upstream.data.prepend(String.UTF8.encode("> "));
    return Action.Continue;
  }

  onDownstreamClose(peer: PeerType): void {
    log.info("features: client closed, peer " + (<i32>peer).toString());
  }

  onUpstreamClose(peer: PeerType): void {
    log.info("features: upstream closed, peer " + (<i32>peer).toString());
  }

  onDone(): void {
    log.info("features: connection done");
  }
}

function describeJson(v: JsonValue): string {
  if (v.isNull) return "null";
  if (v.isBool) return v.boolValue ? "true" : "false";
  if (v.isNumber) return v.isInteger ? "int:" + v.intValue.toString() : "num:" + v.numberValue.toString();
  if (v.isString) return "str:" + v.stringValue;
  let out = v.isArray ? "[" : "{";
  for (let i = 0; i < v.items.length; i++) {
    if (i > 0) out += ",";
    if (v.isObject) out += v.keys[i] + "=";
    out += describeJson(v.items[i]);
  }
  return out + (v.isArray ? "]" : "}");
}

function onAuthResponse(origin: BaseContext, res: HttpCallResponse): void {
  const ctx = origin as Features;
  if (res.failed) {
    sendLocalReply(503, "auth call failed", [], -1, "auth failed");
    return;
  }
  if (res.status != 200) {
    sendLocalReply(403, "denied by auth: " + res.text(), [new Header("x-auth-status", res.status.toString())]);
    return;
  }
  const user = res.headers.get("x-user");
  request.headers.set("x-user", user === null ? "" : user);
  request.headers.set("x-auth-body", res.text());
  ctx.authorized = true;
  ctx.resumeRequest();
}

/** A call made by the root context itself (from onTick): no stream involved. */
function onTokenResponse(origin: BaseContext, res: HttpCallResponse): void {
  const isRoot = origin instanceof RootContext;
  SharedData.setText("token", (isRoot ? "root:" : "stream:") + res.text());
}

function onGrpcReply(origin: BaseContext, res: GrpcCallResponse): void {
  if (!res.ok) {
    sendLocalReply(403, "grpc " + res.status.toString() + ": " + res.statusMessage, [], 7);
    return;
  }
  request.headers.set("x-grpc-reply", String.UTF8.decode(res.message));
  (origin as Features).resumeRequest();
}

class Features extends HttpContext {
  path: string = "";
  authorized: bool = false;

  constructor(id: u32, root: FeaturesRoot) {
    super(id, root);
    active.add(1);
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): Action {
    requests.increment();
    const p = request.headers.get(":path");
    this.path = p === null ? "" : p;
    const root = this.root as FeaturesRoot;

    if (this.path == "/headers") {
      const incoming = request.headers.get("x-in");
      request.headers.set("x-greeting", root.greeting);
      request.headers.add("x-multi", "one");
      request.headers.add("x-multi", "two");
      request.headers.remove("x-remove-me");
      request.headers.set("x-in-copy", incoming === null ? "<none>" : incoming);
      request.headers.set("x-has-absent", request.headers.has("x-absent") ? "yes" : "no");
      request.headers.set("x-count", request.headers.all().length.toString());
      return Action.Continue;
    }
    if (this.path == "/reply") {
      sendLocalReply(403, "denied", [new Header("x-reason", "test"), new Header("x-second", "2")]);
      return Action.Pause;
    }
    if (this.path == "/call") {
      const status = httpCall("auth", [
        new Header(":method", "POST"), new Header(":path", "/check"), new Header(":authority", "auth.local"),
        new Header("x-original-path", this.path),
      ], String.UTF8.encode("ping"), [], 2500, onAuthResponse);
      if (status != WasmResult.Ok) {
        sendLocalReply(500, "http call failed to start: " + status.toString());
        return Action.Pause;
      }
      request.headers.set("x-pending-calls", pendingHttpCalls().toString());
      return Action.Pause;
    }
    if (this.path == "/call-unknown-cluster") {
      const status = httpCall("nowhere", [
        new Header(":method", "GET"), new Header(":path", "/"), new Header(":authority", "x"),
      ], null, [], 1000, onAuthResponse);
      sendLocalReply(502, "status " + status.toString());
      return Action.Pause;
    }
    if (this.path == "/shared") {
      // Read-modify-write with CAS: retried on mismatch, as the ABI intends.
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = SharedData.get("counter");
        let n: i64 = 0;
        let cas: u32 = 0;
        if (current !== null) {
          n = I64.parseInt(current.text());
          cas = current.cas;
        }
        const result = SharedData.setText("counter", (n + 1).toString(), cas);
        if (result == WasmResult.Ok) {
          request.headers.set("x-counter", (n + 1).toString());
          break;
        }
      }
      return Action.Continue;
    }
    if (this.path == "/cas") {
      const cas = request.headers.get("x-cas");
      const result = SharedData.setText("cas-key", "written", cas === null ? 0 : <u32>I64.parseInt(cas));
      const read = SharedData.get("cas-key");
      sendLocalReply(200, read === null ? "<absent>" : read.text(), [
        new Header("x-result", result == WasmResult.CasMismatch ? "mismatch" : result == WasmResult.Ok ? "ok" : "other"),
        new Header("x-absent", SharedData.get("never-set") === null ? "null" : "value"),
      ]);
      return Action.Pause;
    }
    if (this.path == "/queue") {
      const id = SharedQueue.resolve("", "events");
      if (id == 0) {
        sendLocalReply(404, "no queue");
        return Action.Pause;
      }
      SharedQueue.enqueueText(id, "from-stream");
      sendLocalReply(202, "queued", [new Header("x-unknown-queue", SharedQueue.resolve("", "nope").toString())]);
      return Action.Pause;
    }
    if (this.path == "/props") {
      const pathProp = getPropertyString(["request", "path"]);
      const port = getPropertyInt64(["source", "port"], -1);
      const flag = getPropertyBool(["test", "flag"], false);
      const missing = getProperty(["no", "such"]);
      const headersMap = getProperty(["request", "headers"]);
      const name = getPropertyString(["plugin_name"]);
      const rootId = getPropertyString(["plugin_root_id"]);
      setProperty(["my_state"], String.UTF8.encode("kept"));
      const state = getPropertyString(["my_state"]);
      sendLocalReply(200, "props", [
        new Header("x-path", pathProp === null ? "" : pathProp),
        new Header("x-port", port.toString()),
        new Header("x-flag", flag ? "true" : "false"),
        new Header("x-missing", missing === null ? "null" : "present"),
        new Header("x-header-count", headersMap === null ? "-1" : decodeMap(headersMap).length.toString()),
        new Header("x-plugin-name", name === null ? "" : name),
        new Header("x-root-id", rootId === null ? "" : rootId),
        new Header("x-state", state === null ? "" : state),
        new Header("x-time-ok", currentTimeNanos() > 1600000000000000000 ? "yes" : "no"),
      ]);
      return Action.Pause;
    }
    if (this.path == "/grpc") {
      const status = grpcCall("auth", "auth.v1.Checker", "Check", [new Header("x-md", "1")],
        String.UTF8.encode("request-bytes"), 1500, onGrpcReply);
      if (status != WasmResult.Ok) {
        sendLocalReply(502, "grpc call failed to start: " + status.toString());
      }
      return Action.Pause;
    }
    if (this.path == "/foreign") {
      // Round trip through the host's compress/uncompress, then a name no host offers.
      const text = "hello hello hello hello hello hello";
      const packed = callForeignFunction("compress", String.UTF8.encode(text));
      const unpacked = callForeignFunction("uncompress", packed.data);
      const missing = callForeignFunction("no_such_function", new ArrayBuffer(0));
      sendLocalReply(200, String.UTF8.decode(unpacked.data), [
        new Header("x-compress", (<i32>packed.status).toString() + " " + packed.data.byteLength.toString()),
        new Header("x-uncompress", (<i32>unpacked.status).toString()),
        new Header("x-missing", (<i32>missing.status).toString() + " " + missing.data.byteLength.toString()),
      ]);
      return Action.Pause;
    }
    if (this.path == "/close") {
      closeStream();
      return Action.Pause;
    }
    if (this.path == "/postpone") {
      root.postponed.push(this);
      return Action.Pause;
    }
    if (this.path == "/log-levels") {
      log.trace("t");
      log.debug("d");
      log.info("i");
      log.warn("w");
      log.error("e");
      log.critical("c");
      sendLocalReply(200, "level " + (<i32>log.level()).toString());
      return Action.Pause;
    }
    if (this.path == "/trap") {
      const empty = new Array<string>();
      // Out of bounds: AssemblyScript aborts, the SDK logs the reason and traps.
      request.headers.set("x-never", empty[3]);
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): Action {
    if (this.path == "/add-trailers" && endOfStream) request.trailers.add("x-request-size", bodySize.toString());
    if (this.path == "/json") {
      if (!endOfStream) return Action.Pause;
      const parsed = Json.parse(request.body.text());
      sendLocalReply(parsed === null ? 400 : 200, parsed === null ? "error: " + Json.lastError : describeJson(parsed));
      return Action.Pause;
    }
    if (this.path != "/body") return Action.Continue;
    if (!endOfStream) return Action.Pause; // buffer the whole body
    bodySizes.record(<u64>bodySize);
    if (request.body.size() != bodySize) log.error("features: body size " + request.body.size().toString() + " != " + bodySize.toString());
    const text = request.body.text();
    request.body.setText(text.toUpperCase());
    return Action.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): Action {
    if (this.path == "/mask-errors") {
      const upstreamStatus = response.headers.get(":status");
      if (upstreamStatus !== null && upstreamStatus.startsWith("5") && upstreamStatus != "502") {
        sendLocalReply(502, "upstream failed (" + upstreamStatus + ")");
        return Action.Pause;
      }
    }
    response.headers.set("x-plugin", "features");
    if (this.path == "/body") response.headers.remove("content-length");
    const status = response.headers.get(":status");
    response.headers.set("x-seen-status", status === null ? "" : status);
    return Action.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): Action {
    // Trailers created at the end of a response that had none (Envoy allows it in the last body callback).
    if (this.path == "/add-trailers" && endOfStream) response.trailers.add("x-body-size", bodySize.toString());
    if (this.path == "/body" && endOfStream) {
      response.body.append(String.UTF8.encode(" [seen]"));
      response.body.prepend(String.UTF8.encode("[plugin] "));
    }
    return Action.Continue;
  }

  onResponseTrailers(trailerCount: u32): Action {
    response.trailers.set("x-trailer-seen", trailerCount.toString());
    return Action.Continue;
  }

  onRequestTrailers(trailerCount: u32): Action {
    const t = request.trailers.get("x-checksum");
    request.trailers.set("x-checksum-seen", t === null ? "" : t);
    return Action.Continue;
  }

  onLog(): void {
    const p = request.headers.get(":path");
    log.info("features: done " + (p === null ? "" : p));
  }

  onDone(): void {
    active.add(-1);
  }
}

registerRoot("features", (id: u32): RootContext => new FeaturesRoot(id));
// A second root id in the same module: `rootId` then selects, and an unknown one is refused.
registerRoot("features_alt", (id: u32): RootContext => new FeaturesRoot(id));
