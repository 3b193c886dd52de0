// The view of a request the first-party plugins decide on. The plugins implement it over the host's
// request headers (read lazily, once per name); tests implement it over plain data.
export abstract class RequestInfo {
  /** First value of a request header (lower-case name), null when absent. */
  abstract header(name: string): string | null;
  /** The `:path` pseudo-header, query included. */
  abstract path(): string;
}
