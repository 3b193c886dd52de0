// Test entry: header-router configuration parsing and rule matching without a host.
import { parseRouterConfig, RouterConfig } from '../../assembly/config';
import { firstMatch, rewritePrefix } from '../../assembly/rules';
import { fakeRequest } from '../../../common/test/assembly/fake_request';
import { cookieValue, queryParam, pathOnly, addressWithoutPort } from '../../../common/assembly/request_target';

let config: RouterConfig | null = null;

export function configure(text: string): string {
  const p = parseRouterConfig(text);
  config = p.config;
  return p.error;
}

/** `headers` is "name: value" lines; returns the index of the first matching rule (-1 none). */
export function match(headers: string, path: string): i32 {
  const req = fakeRequest(headers, path);
  return firstMatch(config!.rules, req);
}

export function rewrite(path: string, from: string, to: string): string | null {
  return rewritePrefix(path, from, to);
}

export function cookie(header: string, name: string): string | null {
  return cookieValue(header, name);
}

export function query(path: string, name: string): string | null {
  return queryParam(path, name);
}

export function pathWithoutQuery(path: string): string {
  return pathOnly(path);
}

export function clientAddress(address: string): string {
  return addressWithoutPort(address);
}
