// A RequestInfo over plain data, for the plugins' test entries (pure logic, no host).
import { RequestInfo } from '../../assembly/request_info';

export class FakeRequest extends RequestInfo {
  names: string[] = [];
  values: string[] = [];
  target: string = '/';
  header(name: string): string | null {
    for (let i = 0; i < this.names.length; i++) if (this.names[i] == name) return this.values[i];
    return null;
  }
  path(): string {
    return this.target;
  }
}

/** A request for `path` with the headers of `headers`, one "name: value" per line. */
export function fakeRequest(headers: string, path: string): FakeRequest {
  const req = new FakeRequest();
  req.target = path;
  const lines = headers.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const colon = lines[i].indexOf(': ');
    if (colon <= 0) continue;
    req.names.push(lines[i].substring(0, colon));
    req.values.push(lines[i].substring(colon + 2));
  }
  return req;
}
