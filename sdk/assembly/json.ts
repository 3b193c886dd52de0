// A small JSON parser for plugin configuration (RFC 8259). Chosen over npm's AssemblyScript JSON
// packages: assemblyscript-json compiles with AS 0.28 but is unmaintained and adds ~20 KB to every
// plugin; json-as needs a compiler transform in every build. Configs are small, so objects keep their
// keys in order and look them up linearly.

import { decimal } from "./memory";
export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** A parsed JSON value. Typed getters take a fallback used when the key is absent or of another type. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  numberValue: f64 = 0;
  /** Exact value when the number was written as an integer that fits in i64. */
  intValue: i64 = 0;
  isInteger: bool = false;
  stringValue: string = "";
  /** Array elements, or object values (parallel to `keys`). */
  items: JsonValue[] = [];
  keys: string[] = [];

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** Elements of an array / entries of an object. */
  get length(): i32 { return this.items.length; }

  /** Array element `index`, or null. */
  at(index: i32): JsonValue | null {
    if (index < 0 || index >= this.items.length) return null;
    return this.items[index];
  }

  /** Object member `key` (the last one when repeated), or null. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  has(key: string): bool { return this.get(key) !== null; }

  asString(fallback: string = ""): string { return this.kind == JsonKind.String ? this.stringValue : fallback; }
  asNumber(fallback: f64 = 0): f64 { return this.kind == JsonKind.Number ? this.numberValue : fallback; }
  asInt(fallback: i64 = 0): i64 {
    if (this.kind != JsonKind.Number) return fallback;
    return this.isInteger ? this.intValue : <i64>this.numberValue;
  }
  asBool(fallback: bool = false): bool { return this.kind == JsonKind.Bool ? this.boolValue : fallback; }

  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v === null ? fallback : v.asString(fallback);
  }
  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v === null ? fallback : v.asNumber(fallback);
  }
  getInt(key: string, fallback: i64 = 0): i64 {
    const v = this.get(key);
    return v === null ? fallback : v.asInt(fallback);
  }
  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v === null ? fallback : v.asBool(fallback);
  }
  /** Elements of array member `key`; empty when absent or not an array. */
  getArray(key: string): JsonValue[] {
    const v = this.get(key);
    return v === null || v.kind != JsonKind.Array ? [] : v.items;
  }
  /** Object member `key`, or null when absent or not an object. */
  getObject(key: string): JsonValue | null {
    const v = this.get(key);
    return v === null || v.kind != JsonKind.Object ? null : v;
  }
  /** Strings of array member `key` (non-strings skipped). */
  getStringArray(key: string): string[] {
    const items = this.getArray(key);
    const out = new Array<string>();
    for (let i = 0; i < items.length; i++) {
      if (items[i].kind == JsonKind.String) out.push(items[i].stringValue);
    }
    return out;
  }
}

const MAX_DEPTH = 64;

/** 10^n by squaring (Math.pow would add its tables to every plugin). */
function powerOfTen(n: i32): f64 {
  let result: f64 = 1;
  let base: f64 = 10;
  while (n > 0) {
    if (n & 1) result *= base;
    base *= base;
    n >>= 1;
  }
  return result;
}

class Parser {
  pos: i32 = 0;
  error: string = "";
  constructor(public text: string) {}

  fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + " at offset " + decimal(this.pos);
    return null;
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    this.skipSpace();
    const c = this.peek();
    const v = new JsonValue();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      v.kind = JsonKind.String;
      v.stringValue = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal("true")) { v.kind = JsonKind.Bool; v.boolValue = true; return v; }
    if (this.literal("false")) { v.kind = JsonKind.Bool; return v; }
    if (this.literal("null")) return v;
    return this.fail(c < 0 ? "unexpected end of input" : "unexpected character");
  }

  object(depth: i32): JsonValue | null {
    this.pos++; // {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.skipSpace();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected a string key");
      const key = this.string();
      if (key === null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x7d) return v;
      this.pos--;
      return this.fail("expected ',' or '}'");
    }
  }

  array(depth: i32): JsonValue | null {
    this.pos++; // [
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.skipSpace();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x2c) continue;
      if (c == 0x5d) return v;
      this.pos--;
      return this.fail("expected ',' or ']'");
    }
  }

  hex4(): i32 {
    if (this.pos + 4 > this.text.length) return -1;
    let code = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(this.pos + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      code = (code << 4) | d;
    }
    this.pos += 4;
    return code;
  }

  string(): string | null {
    this.pos++; // opening quote
    let start = this.pos;
    let out = "";
    while (true) {
      if (this.pos >= this.text.length) { this.fail("unterminated string"); return null; }
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.text.substring(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      out += this.text.substring(start, this.pos);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) out += "\"";
      else if (e == 0x5c) out += "\\";
      else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        // JSON \u escapes are UTF-16 code units, which is what AssemblyScript strings hold.
        const code = this.hex4();
        if (code < 0) { this.fail("bad \\u escape"); return null; }
        out += String.fromCharCode(code);
      } else { this.pos--; this.fail("bad escape"); return null; }
      start = this.pos;
    }
  }

  digits(): i32 {
    const from = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - from;
  }

  number(): JsonValue | null {
    // Parsed by hand (not F64.parseFloat/I64.parseInt): the std parsers add ~5 KB to every plugin.
    // Integers are exact up to 18 digits; fractions and exponents are computed in f64.
    let negative = false;
    if (this.peek() == 0x2d) { negative = true; this.pos++; }
    const first = this.peek();
    const intStart = this.pos;
    const intDigits = this.digits();
    if (intDigits == 0) return this.fail("expected a digit");
    if (first == 0x30 && intDigits > 1) return this.fail("leading zero");
    let mantissa: f64 = 0;
    let exact: i64 = 0;
    for (let i = intStart; i < intStart + intDigits; i++) {
      const d = this.text.charCodeAt(i) - 0x30;
      mantissa = mantissa * 10 + <f64>d;
      exact = exact * 10 + <i64>d;
    }
    let integer = true;
    let scale: i32 = 0;
    if (this.peek() == 0x2e) {
      this.pos++;
      integer = false;
      const fracStart = this.pos;
      const fracDigits = this.digits();
      if (fracDigits == 0) return this.fail("expected a digit after '.'");
      for (let i = fracStart; i < fracStart + fracDigits; i++) {
        mantissa = mantissa * 10 + <f64>(this.text.charCodeAt(i) - 0x30);
      }
      scale = -fracDigits;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      integer = false;
      let expNegative = false;
      const sign = this.peek();
      if (sign == 0x2b || sign == 0x2d) { expNegative = sign == 0x2d; this.pos++; }
      const expStart = this.pos;
      const expDigits = this.digits();
      if (expDigits == 0) return this.fail("expected a digit in the exponent");
      let exponent: i32 = 0;
      for (let i = expStart; i < expStart + expDigits && exponent < 100000; i++) {
        exponent = exponent * 10 + (this.text.charCodeAt(i) - 0x30);
      }
      scale += expNegative ? -exponent : exponent;
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    let value = mantissa;
    if (scale > 0) value *= powerOfTen(scale);
    else if (scale < 0) value /= powerOfTen(-scale);
    v.numberValue = negative ? -value : value;
    if (integer && intDigits <= 18) {
      v.isInteger = true;
      v.intValue = negative ? -exact : exact;
    }
    return v;
  }
}

/** `Json.parse(text)`: the value, or null with the reason in `Json.lastError`. */
export class Json {
  static lastError: string = "";

  static parse(text: string): JsonValue | null {
    const parser = new Parser(text);
    const value = parser.value(0);
    if (value === null) {
      Json.lastError = parser.error;
      return null;
    }
    parser.skipSpace();
    if (parser.pos != text.length) {
      parser.fail("unexpected trailing characters");
      Json.lastError = parser.error;
      return null;
    }
    Json.lastError = "";
    return value;
  }
}
