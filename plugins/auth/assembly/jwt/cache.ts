// Tokens whose signature verified, by their exact text: a client reuses its bearer token for many
// requests, and repeating RS256 for each would cost far more than a lookup (Envoy's jwt_authn
// has the same cache). Only the signature result is cached; exp/nbf/iss/aud and required claims
// are checked again on every request, so a cached token still expires on time. The key is the
// whole token, signature included, so a modified token never hits another token's entry.
import { Jwt } from './token';

export class VerifiedTokenCache {
  private readonly capacity: i32;
  private readonly entries: Map<string, Jwt> = new Map<string, Jwt>();
  /** Insertion order, for first-in first-out eviction once full. */
  private readonly order: string[] = [];
  private next: i32 = 0;
  /** Lookups answered from the cache (for tests and debugging). */
  hits: i32 = 0;

  /** `capacity` 0 disables the cache. */
  constructor(capacity: i32) {
    this.capacity = capacity;
  }

  get(token: string): Jwt | null {
    if (this.capacity == 0 || !this.entries.has(token)) return null;
    this.hits++;
    return this.entries.get(token);
  }

  put(token: string, jwt: Jwt): void {
    if (this.capacity == 0 || this.entries.has(token)) return;
    if (this.order.length < this.capacity) {
      this.order.push(token);
    } else {
      this.entries.delete(this.order[this.next]);
      this.order[this.next] = token;
      this.next = (this.next + 1) % this.capacity;
    }
    this.entries.set(token, jwt);
  }
}
