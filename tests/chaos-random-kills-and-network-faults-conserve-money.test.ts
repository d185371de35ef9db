// Proves the invariants under a seeded schedule of faults while concurrent
// payers move money between random accounts of three banks: SIGKILLs and
// restarts of banks and the gateway, and network faults between the gateway
// and a bank (delays, a partition that holds bytes and delivers them late,
// one that resets connections, bytes lost). The total is unchanged, no hold or
// prepared transaction is left, every payment a client saw SUCCEEDED is in
// both banks' ledgers exactly once, every FAILED one in neither, every balance
// equals its opening balance plus what the succeeded payments moved, and
// payments through every bank succeed within 10 s of the last fault healing.
// Replay a run with MINISTRIPE_SEED=<printed seed>; `bun run chaos` runs a longer one.
import { expect, setDefaultTimeout, test } from "bun:test";
import { chaosTimeoutMs, expectInvariantsHeld, runChaos, seed } from "./support/chaos";

// Here, not only in the preload: bun applies a preload's default timeout to the first test file of a run only.
setDefaultTimeout(30_000);

test(`random kills, restarts and network faults conserve money (seed ${seed})`, async () => {
  const run = await runChaos(1);
  expectInvariantsHeld(run);
  // Every kind of fault is injected in every run (the schedule deals them in rounds).
  for (const count of Object.values(run.faultsByKind)) expect(count).toBeGreaterThan(0);
}, chaosTimeoutMs);
