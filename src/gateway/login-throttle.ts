// Slows down, then refuses, repeated failed logins per username and per peer
// address. Kept in memory: a restart forgets it, which only helps an attacker
// for the restart itself.
import { limits } from "../lib/limits";

interface Failures {
  count: number;
  lockedUntilMs: number;
  lastMs: number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly nowMs: () => number) {}

  /** Milliseconds the caller must wait before trying, or Infinity when locked out. */
  delayMs(keys: string[]): number {
    let delayMs = 0;
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (!entry) continue;
      if (entry.lockedUntilMs > this.nowMs()) return Infinity;
      const over = entry.count - limits.loginFailuresBeforeDelay;
      if (over >= 0) delayMs = Math.max(delayMs, Math.min(limits.loginDelayMsMax, 100 * 2 ** over));
    }
    return delayMs;
  }

  fail(keys: string[]): void {
    const nowMs = this.nowMs();
    if (this.failures.size >= limits.loginThrottleEntriesMax) this.evictOldest();
    for (const key of keys) {
      const entry = this.failures.get(key) ?? { count: 0, lockedUntilMs: 0, lastMs: nowMs };
      if (entry.lockedUntilMs !== 0 && entry.lockedUntilMs <= nowMs) {
        entry.count = 0;
        entry.lockedUntilMs = 0;
      }
      entry.count += 1;
      entry.lastMs = nowMs;
      if (entry.count >= limits.loginFailuresBeforeLockout) entry.lockedUntilMs = nowMs + limits.loginLockoutMs;
      this.failures.set(key, entry);
    }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private evictOldest(): void {
    let oldestKey: string | undefined;
    let oldestMs = Infinity;
    for (const [key, entry] of this.failures) {
      if (entry.lastMs < oldestMs) {
        oldestMs = entry.lastMs;
        oldestKey = key;
      }
    }
    if (oldestKey) this.failures.delete(oldestKey);
  }
}
