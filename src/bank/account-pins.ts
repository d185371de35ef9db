// Registration proves the account is yours: the bank checks the holder's PIN
// against its Argon2id hash and counts wrong PINs per account, on disk, so
// neither a restart nor a second gateway resets the count. Each attempt is
// counted before the hash is checked (parallel guesses cannot slip past the
// block) and forgiven when the PIN is right.
import { AppError, Code } from "../lib/errors";
import { pinField } from "../lib/fields";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { hashSecret, verifySecret } from "../lib/secret-hash";
import type { BankStore } from "../store/bank-store";
import type { AccountSeed } from "./accounts-file";

export interface PinCheckDeps {
  bankName: string;
  store: BankStore;
  nowMs: () => number;
  log: Logger;
}

/** Resolves when `pin` is the account's PIN; otherwise PERMISSION_DENIED, FAILED_PRECONDITION or RESOURCE_EXHAUSTED. */
export async function checkAccountPin(deps: PinCheckDeps, account: string, pin: string): Promise<void> {
  pinField(pin);
  const pinHash = admitAttempt(deps, account);
  if (await verifySecret(pinHash, pin)) {
    deps.store.transaction(() => deps.store.setPinFailures(account, 0, 0));
    return;
  }
  deps.log.warn({ event: "account.pin_wrong", account }, "wrong PIN");
  throw new AppError(Code.PermissionDenied, `wrong PIN for account ${account} at ${deps.bankName}`);
}

/** Counts the attempt as failed (durably) unless the account is blocked; returns the hash to check. */
function admitAttempt(deps: PinCheckDeps, account: string): string {
  return deps.store.transaction(() => {
    const row = deps.store.getAccountPin(account);
    if (!row) throw new AppError(Code.NotFound, `no account ${account} at bank ${deps.bankName}`);
    if (!row.pinHash) throw new AppError(Code.FailedPrecondition, "this account is not enabled for online payments; ask your bank for a PIN");
    const nowMs = deps.nowMs();
    if (row.pinUnblockedAtMs > nowMs) {
      const minutes = Math.ceil((row.pinUnblockedAtMs - nowMs) / 60_000);
      throw new AppError(Code.ResourceExhausted, `too many wrong PINs for account ${account}; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`);
    }
    const failures = row.pinFailures + 1;
    // From the limit on, every further wrong PIN blocks the account again: one guess per block.
    const bunlockedAtMs = failures >= limits.pinFailuresBeforeBlock ? nowMs + limits.pinBlockMs : 0;
    deps.store.setPinFailures(account, failures, bunlockedAtMs);
    return row.pinHash;
  });
}

/** The hash each seed's PIN gets: a given hash as it is, a PIN hashed now (in parallel, on Argon2's threads). */
export async function pinHashesOf(seeds: AccountSeed[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await Promise.all(
    seeds.map(async (seed) => {
      if (seed.pinHash) hashes.set(seed.number, seed.pinHash);
      else if (seed.pin) hashes.set(seed.number, await hashSecret(seed.pin));
    }),
  );
  return hashes;
}
