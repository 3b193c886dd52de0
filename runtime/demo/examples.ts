// The curl lines `remora demo` prints once everything is up. Plain data so whoever attaches a
// plugin to the demo config adds the lines that show it at work (a 401, a 429, a canary route)
// next to it. Each line must work as printed against the running demo.
import type { Config } from '../config/types.ts';
import { pluginExamples } from './plugins.ts';

export interface DemoExample {
  /** A shell command, usually curl. */
  command: string;
  /** What the user should see. */
  shows: string;
}

export interface DemoAddresses {
  inbound: string;
  outbound: string;
  admin: string;
}

/** Sections in print order; a function so lines can depend on the config (tokens, limits). */
export function demoExamples(a: DemoAddresses, config: Config): Array<{ title: string; examples: DemoExample[] }> {
  const plugins = pluginExamples(a, config);
  return [
    {
      title: 'Proxying',
      examples: [
        { command: `curl -i http://${a.inbound}/api/items`, shows: 'the app answers through Remora (via: 1.1 remora)' },
        { command: `curl -s http://${a.inbound}/echo -d 'hi'`, shows: 'x-forwarded-for, x-request-id, via added by Remora' },
        { command: `curl -i 'http://${a.inbound}/slow?ms=3000'`, shows: "504 with remora-proxy-error after the route's 2s timeout" },
        { command: `curl -i http://${a.outbound}/api/items/1`, shows: 'the outbound listener' },
      ],
    },
    ...(plugins.length > 0 ? [{ title: 'Plugins (auth, rate-limit, header-router)', examples: plugins }] : []),
    {
      title: 'Admin',
      examples: [
        { command: `curl -s http://${a.admin}/metrics | grep remora_requests_total`, shows: 'request counts by route, cluster, code' },
        { command: `curl -s http://${a.admin}/config`, shows: 'the effective config' },
        { command: `curl -s http://${a.admin}/plugins`, shows: 'loaded plugins' },
        { command: `curl -s http://${a.admin}/ready`, shows: 'ready' },
      ],
    },
  ];
}
