// Local replies to gRPC clients: a gRPC client reads grpc-status, not the HTTP status, so refusals
// carry the matching gRPC code (the host then answers trailers-only, as Envoy does).

/** UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE, UNKNOWN. */
export function grpcStatusFor(httpStatus: u32): i32 {
  if (httpStatus == 401) return 16;
  if (httpStatus == 403) return 7;
  if (httpStatus == 429) return 8;
  if (httpStatus == 502 || httpStatus == 503 || httpStatus == 504) return 14;
  return 2;
}

/** Whether a request with this content-type is gRPC (application/grpc, application/grpc+proto, ...). */
export function isGrpcContentType(contentType: string | null): bool {
  if (contentType === null) return false;
  return contentType.startsWith('application/grpc');
}

/** The grpc_status argument for a local reply: the mapped code for gRPC requests, -1 otherwise. */
export function localReplyGrpcStatus(contentType: string | null, httpStatus: u32): i32 {
  return isGrpcContentType(contentType) ? grpcStatusFor(httpStatus) : -1;
}
