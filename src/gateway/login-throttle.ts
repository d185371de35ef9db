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
// a count run up against others'. One gateway keeps the counts in memory (a
// restart forgets them, which only helps an attacker for the restart itself);
// gateways sharing a database keep them there, so they count across gateways.
import { isIPv4, isIPv6 } from "node:net";
import { AppError, Code } from "../lib/errors";
import { limits, securityLimits } from "../lib/limits";

/**
 * The network a peer's failures count under, from a gRPC peer
 * ("127.0.0.1:5123", "::1:5123", "[2001:db8::7]:5123"): an IPv4 address as it
 * is, an IPv4-mapped IPv6 one (a dual-stack listener's IPv4 callers) as its
 * IPv4, and an IPv6 address by its /64, the smallest block a subscriber is
 * given: moving to another address inside it costs an attacker nothing.
 */
export function throttledNetworkOf(peer: string): string {
  const unprefixed = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(unprefixed);
  // grpc-js always gives the port, so the last ":digits" is the port, not an IPv6 group.
  const host = bracketed ? bracketed[1]! : unprefixed.replace(/:\d+$/, "");
  if (isIPv4(host)) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(host)) return host;
  return `${ipv6Groups(host).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lowercased without leading zeros. */
function ipv6Groups(address: string): string[] {
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":").flatMap((group) => (group.includes(".") ? ipv4AsGroups(group) : [group])));
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined];
  const first = groupsOf(head!);
  const last = tail === undefined ? [] : groupsOf(tail);
  const groups = [...first, ...Array<string>(8 - first.length - last.length).fill("0"), ...last];
  return groups.map((group) => parseInt(group, 16).toString(16));
}

function ipv4AsGroups(dotted: string): string[] {
  const [a, b, c, d] = dotted.split(".").map(Number);
  return [((a! << 8) | b!).toString(16), ((c! << 8) | d!).toString(16)];
}

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

/**
 * An address's registration checks (wrong PINs and unknown accounts, across
 * every account): a person registers once or twice; more failures than a
 * mistyped PIN explains are someone trying accounts. Unlike logins, refused
 * for a while: the bank's own block is per account and cannot see spraying.
 */
export const registrationPeerPolicy: ThrottlePolicy = {
  failuresBeforeDelay: securityLimits.registrationPeerFailuresBeforeDelay,
  failuresBeforeLockout: securityLimits.registrationPeerFailuresBeforeLockout,
  delayMsBase: securityLimits.loginDelayMsBase,
  delayMsMax: limits.loginDelayMsMax,
  lockoutMs: securityLimits.loginFailureWindowMs,
  windowMs: securityLimits.loginFailureWindowMs,
};

export interface Failures {
  count: number;
  unlockedAtMs: number;
  lastFailureAtMs: number;
}

/** Where the counts live: this process's memory, or the database every gateway shares. */
export interface FailureTable {
  /**
   * Runs `change` on the entries of `keys` (undefined: none) as one atomic
   * step: no other attempt on these keys, here or on another gateway, runs
   * in between. What `change` leaves in the array is stored (undefined: removed).
   */
  update<T>(keys: string[], change: (entries: (Failures | undefined)[]) => T): Promise<T>;
}

/** The counts in this process: for one gateway. Bounded; the oldest entry goes first. */
export class MemoryFailureTable implements FailureTable {
  // Insertion order is kept oldest-first (an updated entry is re-inserted), so eviction is O(1).
  private readonly failures = new Map<string, Failures>();

  async update<T>(keys: string[], change: (entries: (Failures | undefined)[]) => T): Promise<T> {
    const entries = keys.map((key) => this.failures.get(key));
    const result = change(entries);
    keys.forEach((key, i) => {
      this.failures.delete(key);
      const entry = entries[i];
      if (entry === undefined) return;
      if (this.failures.size >= limits.loginThrottleEntriesMax) this.evictOldest();
      this.failures.set(key, entry);
    });
    return result;
  }

  private evictOldest(): void {
    const oldest = this.failures.keys().next();
    if (!oldest.done) this.failures.delete(oldest.value);
  }
}

export interface LoginAttempt {
  /** How long to hold this attempt before checking the password. */
  delayMs: number;
  succeeded(): Promise<void>;
}

/** One count an attempt adds to, and what a success does to it. */
interface CountedKey {
  key: string;
  policy: ThrottlePolicy;
  /** "clear": a success forgets the key's failures; "refund": it takes back only its own attempt (an address's count). */
  onSuccess: "clear" | "refund";
}

export class LoginThrottle {
  constructor(
    private readonly nowMs: () => number,
    private readonly policies = { user: userPolicy, username: usernamePolicy, peer: peerPolicy, registrationPeer: registrationPeerPolicy },
    private readonly table: FailureTable = new MemoryFailureTable(),
  ) {}

  /** Admits one login or password check (with the delay to hold it for), or refuses with RESOURCE_EXHAUSTED while a key is locked out. */
  attempt(username: string, peerHost: string): Promise<LoginAttempt> {
    return this.admit(
      [
        { key: `user:${username}@${peerHost}`, policy: this.policies.user, onSuccess: "clear" },
        { key: `username:${username}`, policy: this.policies.username, onSuccess: "clear" },
        { key: `peer:${peerHost}`, policy: this.policies.peer, onSuccess: "refund" },
      ],
      "failed logins",
    );
  }

  /**
   * Admits one registration's ownership check (an account's PIN asked of its
   * bank) from an address. The bank blocks an account after a few wrong PINs,
   * but that does not stop one PIN tried on many accounts (PIN spraying), nor
   * a walk over account numbers: the address's failures are counted here,
   * across accounts, then delayed, then refused for a while. A check that
   * proves the PIN, or fails for a reason that is no guess (the bank away),
   * takes back only its own attempt.
   */
  registration(peerHost: string): Promise<LoginAttempt> {
    return this.admit([{ key: `register:${peerHost}`, policy: this.policies.registrationPeer, onSuccess: "refund" }], "failed account checks from this address");
  }

  private async admit(keys: CountedKey[], what: string): Promise<LoginAttempt> {
    const names = keys.map(({ key }) => key);
    const delayMs = await this.table.update(names, (entries) => {
      const nowMs = this.nowMs();
      const current = keys.map(({ policy }, i) => currentOf(entries[i], policy, nowMs));
      const lockedForMs = Math.max(...current.map((entry) => entry.unlockedAtMs)) - nowMs;
      if (lockedForMs > 0) throw new AppError(Code.ResourceExhausted, `too many ${what}; try again in ${minutesText(lockedForMs)}`);
      let longestDelayMs = 0;
      keys.forEach(({ policy }, i) => {
        const entry = current[i]!;
        longestDelayMs = Math.max(longestDelayMs, delayFor(entry.count, policy));
        entry.count += 1;
        entry.lastFailureAtMs = nowMs;
        if (entry.count >= policy.failuresBeforeLockout) entry.unlockedAtMs = nowMs + policy.lockoutMs;
        entries[i] = entry;
      });
      return longestDelayMs;
    });
    return {
      delayMs,
      succeeded: () =>
        this.table.update(names, (entries) => {
          keys.forEach(({ policy, onSuccess }, i) => {
            const entry = entries[i];
            if (onSuccess === "clear" || !entry) {
              entries[i] = undefined;
              return;
            }
            entry.count = Math.max(0, entry.count - 1);
            if (entry.count < policy.failuresBeforeLockout) entry.unlockedAtMs = 0;
            if (entry.count === 0) entries[i] = undefined;
          });
        }),
    };
  }
}

/** The entry for a key, with failures outside the window or after a lockout forgotten. */
function currentOf(entry: Failures | undefined, policy: ThrottlePolicy, nowMs: number): Failures {
  if (!entry) return { count: 0, unlockedAtMs: 0, lastFailureAtMs: nowMs };
  const lockoutOver = entry.unlockedAtMs !== 0 && entry.unlockedAtMs <= nowMs;
  const stale = entry.unlockedAtMs === 0 && nowMs - entry.lastFailureAtMs > policy.windowMs;
  return lockoutOver || stale ? { count: 0, unlockedAtMs: 0, lastFailureAtMs: nowMs } : { ...entry };
}

/** No delay for the first failures, then doubling up to the cap. */
export function delayFor(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.failuresBeforeDelay;
  if (over < 0) return 0;
  return Math.min(policy.delayMsMax, policy.delayMsBase * 2 ** Math.min(over, 30));
}

/** A lockout's remaining time as a person reads it: "a minute" up to one, else whole minutes rounded up. */
function minutesText(durationMs: number): string {
  const minutes = Math.ceil(durationMs / 60_000);
  return minutes <= 1 ? "a minute" : `${minutes} minutes`;
}
