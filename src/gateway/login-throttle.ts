// Slows down, then refuses, repeated failed logins, under three keys:
// - a username from one address: delays, then a lockout (RESOURCE_EXHAUSTED)
//   for that username from that address only;
// - a username from anywhere: delays only, with a bound, so guesses spread
//   over many addresses are slowed while no one can lock a user out everywhere;
// - an address, whatever usernames it tries (password spraying): delays only,
//   with a bound, so many people behind one address (a NAT) are slowed, never
//   refused, and failures for one username never lock the others out.
// Every attempt counts as a failure from the moment it is admitted until it
// succeeds, so parallel guesses cannot slip past the lockout. A success clears
// its username's counts and refunds its own attempt to the address, but never
// the address's other failures: logging in to one's own account must not reset
// a count run up against others'. Kept in memory: a restart forgets it, which
// only helps an attacker for the restart itself.
import { AppError, Code } from "../lib/errors";
import { limits, securityLimits } from "../lib/limits";

export interface ThrottlePolicy {
  failuresBeforeDelay: number;
  /** Infinity: this key only ever delays. */
  failuresBeforeLockout: number;
  delayMsBase: number;
  delayMsMax: number;
  lockoutMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
}

/** A username from one address. */
export const userPolicy: ThrottlePolicy = {
  failuresBeforeDelay: limits.loginFailuresBeforeDelay,
  failuresBeforeLockout: limits.loginFailuresBeforeLockout,
  delayMsBase: securityLimits.loginDelayMsBase,
  delayMsMax: limits.loginDelayMsMax,
  lockoutMs: limits.loginLockoutMs,
  windowMs: securityLimits.loginFailureWindowMs,
};

/** A username from any address: slowed, never locked (a lockout here would let anyone lock a user out). */
export const usernamePolicy: ThrottlePolicy = {
  ...userPolicy,
  failuresBeforeDelay: securityLimits.loginUsernameFailuresBeforeDelay,
  failuresBeforeLockout: Infinity,
};

/** An address, whatever usernames it tries: slowed, never locked. Many people may share one address. */
export const peerPolicy: ThrottlePolicy = {
  ...userPolicy,
  failuresBeforeDelay: securityLimits.loginPeerFailuresBeforeDelay,
  failuresBeforeLockout: Infinity,
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
    private readonly policies = { user: userPolicy, username: usernamePolicy, peer: peerPolicy },
  ) {}

  /** Admits one attempt (with the delay to hold it for), or refuses with RESOURCE_EXHAUSTED while a key is locked out. */
  attempt(username: string, peerHost: string): LoginAttempt {
    // The address last: a success refunds it one attempt instead of clearing it.
    const keys: [string, ThrottlePolicy][] = [
      [`user:${username}@${peerHost}`, this.policies.user],
      [`username:${username}`, this.policies.username],
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
        this.failures.delete(keys[1]![0]);
        this.refund(keys[2]![0], keys[2]![1]);
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
