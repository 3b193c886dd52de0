// gRPC upstream (grpc-js server, plaintext HTTP/2) and a client factory for the Echo service
// in echo.proto, used to prove gRPC passes through Remora with status and trailers intact.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = join(dirname(fileURLToPath(import.meta.url)), 'echo.proto');

export interface EchoRequest { text: string; count?: number; delay_ms?: number }
export interface EchoReply { text: string; index: number }

/** The trailing metadata the Fail method sends along with PERMISSION_DENIED. */
export const FAIL_TRAILER = { key: 'x-fail-reason', value: 'not-allowed' };
export const FAIL_BINARY_TRAILER = { key: 'x-fail-detail-bin', value: Buffer.from([0, 1, 2, 250, 255]) };
export const FAIL_MESSAGE = 'denied by test server';

/** The client shape of the Echo service (grpc-js builds it at run time). */
export interface EchoClient extends grpc.Client {
  Unary(req: EchoRequest, callback: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
  Unary(req: EchoRequest, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
  ServerStream(req: EchoRequest): grpc.ClientReadableStream<EchoReply>;
  Fail(req: EchoRequest, callback: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
}

type EchoClientConstructor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => EchoClient;

function echoService(): { service: grpc.ServiceDefinition; Client: EchoClientConstructor } {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    remora: { test: { Echo: grpc.ServiceClientConstructor } };
  };
  const Echo = loaded.remora.test.Echo;
  return { service: Echo.service, Client: Echo as unknown as EchoClientConstructor };
}

export interface GrpcUpstream {
  port: number;
  endpoint: string;
  /** Metadata of every call received (for header assertions). */
  calls: { method: string; metadata: Record<string, unknown> }[];
  /** Server-streaming calls the client cancelled (seen as `cancelled` on the server). */
  cancelled(): number;
  close(): Promise<void>;
}

export async function startGrpcUpstream(): Promise<GrpcUpstream> {
  const { service } = echoService();
  const calls: GrpcUpstream['calls'] = [];
  let cancelled = 0;
  const server = new grpc.Server();
  server.addService(service, {
    Unary(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
      calls.push({ method: 'Unary', metadata: call.metadata.getMap() });
      callback(null, { text: call.request.text, index: 0 });
    },
    ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      calls.push({ method: 'ServerStream', metadata: call.metadata.getMap() });
      const count = call.request.count ?? 0;
      const delay = call.request.delay_ms ?? 0;
      if (delay === 0) {
        for (let i = 0; i < count; i++) call.write({ text: `${call.request.text}-${i}`, index: i });
        call.end();
        return;
      }
      let i = 0;
      const timer = setInterval(() => {
        if (i === count) { clearInterval(timer); call.end(); return; }
        call.write({ text: `${call.request.text}-${i}`, index: i });
        i++;
      }, delay);
      call.on('cancelled', () => { clearInterval(timer); cancelled++; });
    },
    Fail(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
      calls.push({ method: 'Fail', metadata: call.metadata.getMap() });
      const trailers = new grpc.Metadata();
      trailers.set(FAIL_TRAILER.key, FAIL_TRAILER.value);
      trailers.set(FAIL_BINARY_TRAILER.key, FAIL_BINARY_TRAILER.value);
      callback({ code: grpc.status.PERMISSION_DENIED, details: FAIL_MESSAGE, metadata: trailers });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    endpoint: `127.0.0.1:${port}`,
    calls,
    cancelled: () => cancelled,
    close: () => new Promise((resolve) => {
      server.forceShutdown();
      resolve();
    }),
  };
}

/** An Echo client aimed at `address` (host:port), e.g. a Remora listener; plaintext unless `creds` say otherwise. */
export function echoClient(address: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): EchoClient {
  const { Client } = echoService();
  return new Client(address, creds, options);
}
