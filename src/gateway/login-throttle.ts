// Slows down, then refuses, repeated failed logins per username and per peer
// address. Every attempt counts as a failure from the moment it is admitted
// until it succeeds, so parallel guesses cannot slip past the lockout. A
// success clears its username's count and refunds its own attempt to the
// peer, but never the peer's other failures: logging in to one's own account
// must not reset a count run up against others'. Kept in memory: a restart
// forgets it, which only helps an attacker for the restart itself.
import { AppError, Code } from "../lib/errors";
import { limits, securityLimits } from "../lib/limits";

export interface ThrottlePolicy {
  failuresBeforeDelay: number;
  failuresBeforeLockout: number;
  delayMsBase: number;
  delayMsMax: number;
  lockoutMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
}

export const userPolicy: ThrottlePolicy = {
  failuresBeforeDelay: limits.loginFailuresBeforeDelay,
  failuresBeforeLockout: limits.loginFailuresBeforeLockout,
  delayMsBase: securityLimits.loginDelayMsBase,
  delayMsMax: limits.loginDelayMsMax,
  lockoutMs: limits.loginLockoutMs,
  windowMs: securityLimits.loginFailureWindowMs,
};

// Many people may share one address (a NAT), so a peer gets more room than a username.
export const peerPolicy: ThrottlePolicy = {
  ...userPolicy,
  failuresBeforeDelay: securityLimits.loginPeerFailuresBeforeDelay,
  failuresBeforeLockout: securityLimits.loginPeerFailuresBeforeLockout,
};

interface Failures {
  count: number;
  lockedUntilMs: number;
  lastMs: number;
}

export interface LoginAttempt {
  /** How long to hold this attempt before checking the password. */
  delayMs: number;
  succeeded(): void;
}

export class LoginThrottle {
  // Insertion order is kept oldest-first (an updated entry is re-inserted), so eviction is O(1).
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly nowMs: () => number,
    private readonly policies = { user: userPolicy, peer: peerPolicy },
  ) {}

  /** Admits one attempt, or refuses with RESOURCE_EXHAUSTED while either key is locked out. */
  attempt(username: string, peerHost: string): LoginAttempt {
    const keys: [string, ThrottlePolicy][] = [
      [`user:${username}`, this.policies.user],
      [`peer:${peerHost}`, this.policies.peer],
    ];
    const nowMs = this.nowMs();
    const entries = keys.map(([key, policy]) => this.current(key, policy, nowMs));
    if (entries.some((entry) => entry.lockedUntilMs > nowMs)) {
      throw new AppError(Code.ResourceExhausted, "too many failed logins; try again later");
    }
    let delayMs = 0;
    keys.forEach(([key, policy], i) => {
      delayMs = Math.max(delayMs, delayFor(entries[i]!.count, policy));
      this.count(key, entries[i]!, policy, nowMs);
    });
    return {
      delayMs,
      succeeded: () => {
        this.failures.delete(keys[0]![0]);
        this.refund(keys[1]![0], keys[1]![1]);
      },
    };
  }

  /** The entry for a key, with failures outside the window or after a lockout forgotten. */
  private current(key: string, policy: ThrottlePolicy, nowMs: number): Failures {
    const entry = this.failures.get(key);
    if (!entry) return { count: 0, lockedUntilMs: 0, lastMs: nowMs };
    const lockoutOver = entry.lockedUntilMs !== 0 && entry.lockedUntilMs <= nowMs;
    const stale = entry.lockedUntilMs === 0 && nowMs - entry.lastMs > policy.windowMs;
    return lockoutOver || stale ? { count: 0, lockedUntilMs: 0, lastMs: nowMs } : entry;
  }

  private count(key: string, entry: Failures, policy: ThrottlePolicy, nowMs: number): void {
    entry.count += 1;
    entry.lastMs = nowMs;
    if (entry.count >= policy.failuresBeforeLockout) entry.lockedUntilMs = nowMs + policy.lockoutMs;
    this.failures.delete(key);
    if (this.failures.size >= limits.loginThrottleEntriesMax) this.evictOldest();
    this.failures.set(key, entry);
  }

  private refund(key: string, policy: ThrottlePolicy): void {
    const entry = this.failures.get(key);
    if (!entry) return;
    entry.count = Math.max(0, entry.count - 1);
    if (entry.count < policy.failuresBeforeLockout) entry.lockedUntilMs = 0;
    if (entry.count === 0) this.failures.delete(key);
  }

  private evictOldest(): void {
    const oldest = this.failures.keys().next();
    if (!oldest.done) this.failures.delete(oldest.value);
  }
}

/** No delay for the first failures, then doubling up to the cap. */
export function delayFor(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.failuresBeforeDelay;
  if (over < 0) return 0;
  return Math.min(policy.delayMsMax, policy.delayMsBase * 2 ** Math.min(over, 30));
}
