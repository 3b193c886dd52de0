// The header-router plugin's configuration (JSON, parsed once in onConfigure). Every field is
// described in ../README.md (JSON Schema there).
import { Json } from '@remora/sdk/assembly/json';
import { Rule, parseRule } from './rules';
import { unknownKey } from '../../common/assembly/config_fields';

export class RouterConfig {
  /** Request header the route table matches on to pick the cluster chosen by a rule. */
  clusterHeader: string = 'x-remora-cluster';
  /** Remove a client-sent clusterHeader before matching, so only rules can steer traffic. */
  stripClusterHeader: bool = true;
  rules: Rule[] = [];
}

export class ParsedConfig {
  config: RouterConfig | null = null;
  error: string = '';
}

const KNOWN_TOP = ['clusterHeader', 'stripClusterHeader', 'rules'];

function bad(message: string): ParsedConfig {
  const p = new ParsedConfig();
  p.error = message;
  return p;
}

/** Parses the plugin configuration; on failure `error` reads "<field path>: <expectation>". */
export function parseRouterConfig(text: string): ParsedConfig {
  const root = Json.parse(text);
  if (root === null) return bad('config: invalid JSON (' + Json.lastError + ')');
  if (!root.isObject) return bad('config: expected a JSON object');
  const unknown = unknownKey(root, KNOWN_TOP);
  if (unknown.length > 0) return bad(unknown + ': unknown field');
  const c = new RouterConfig();
  const ch = root.get('clusterHeader');
  if (ch !== null) {
    if (!ch.isString || ch.stringValue.length == 0 || ch.stringValue.startsWith(':')) return bad('clusterHeader: expected a header name');
    c.clusterHeader = ch.stringValue.toLowerCase();
  }
  const strip = root.get('stripClusterHeader');
  if (strip !== null) {
    if (!strip.isBool) return bad('stripClusterHeader: expected a boolean');
    c.stripClusterHeader = strip.boolValue;
  }
  const rules = root.get('rules');
  if (rules === null || !rules.isArray) return bad('rules: expected an array of rules');
  for (let i = 0; i < rules.length; i++) {
    const r = new Rule();
    const err = parseRule(rules.at(i)!, r);
    if (err.length > 0) return bad('rules[' + i.toString() + ']' + err);
    c.rules.push(r);
  }
  const p = new ParsedConfig();
  p.config = c;
  return p;
}
