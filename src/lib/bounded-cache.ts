// A map with a size bound for rows read on every call. Cleared when full:
// simpler than LRU, and a cold read costs one indexed SQLite lookup.
import { assert } from "./assert";

export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly sizeMax: number) {
    assert(sizeMax >= 1, "cache sizeMax >= 1");
  }

  /** The cached value, or `load()`'s (kept unless undefined). */
  get(key: K, load: () => V | undefined): V | undefined {
    const cached = this.entries.get(key);
    if (cached !== undefined) return cached;
    const loaded = load();
    if (loaded === undefined) return undefined;
    if (this.entries.size >= this.sizeMax) this.entries.clear();
    this.entries.set(key, loaded);
    return loaded;
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (matches(value)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
