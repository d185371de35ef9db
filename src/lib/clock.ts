// Time and ids are injected into domain code so tests and a seeded
// simulation can control them.

export interface Clock {
  nowMs(): number;
  /** Calls `fn` once `durationMs` have passed on this clock; returns what cancels it. */
  after(durationMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  after(durationMs, fn) {
    const timer = setTimeout(fn, durationMs);
    return () => clearTimeout(timer);
  },
};

export interface IdSource {
  /** A unique, roughly time-ordered id (UUIDv7): sorts by creation. */
  next(): string;
}

export const randomIds: IdSource = { next: () => Bun.randomUUIDv7() };

export function sleepMs(durationMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}

/** Full-jitter exponential backoff: a random wait in [min, min(max, min * 2^attempt)]. */
export function backoffMs(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceilingMs = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 20));
  return Math.round(minMs + random() * (ceilingMs - minMs));
}
