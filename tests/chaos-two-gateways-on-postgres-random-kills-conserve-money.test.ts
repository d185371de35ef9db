// Proves the chaos test's invariants with two gateways on one PostgreSQL database: gateways and banks SIGKILLed and restarted at random, network faults between a gateway and a bank, concurrent payers given both gateways. The total is unchanged, no hold or prepared transaction is left, every payment a client saw SUCCEEDED is in both banks' ledgers exactly once and every FAILED one in neither, balances match, and payments through every bank succeed soon after the last fault heals.
// Replay a run with MINISTRIPE_SEED=<printed seed>; MINISTRIPE_CHAOS_MS runs a longer one.
import { expect, setDefaultTimeout, test } from "bun:test";
import { chaosTimeoutMs, expectInvariantsHeld, runChaos, seed } from "./support/chaos";

setDefaultTimeout(60_000);

test(`with 2 gateways on PostgreSQL, random kills of gateways and banks, restarts and network faults conserve money (seed ${seed})`, async () => {
  const run = await runChaos(2);
  expectInvariantsHeld(run);
  // What a user relies on, said here too: not a paisa created or lost across both gateways.
  expect(run.balancesMinor.reduce((a, b) => a + b, 0n)).toBe(run.openingTotalMinor);
  // Every kind of fault is injected in every run (the schedule deals them in rounds).
  for (const count of Object.values(run.faultsByKind)) expect(count).toBeGreaterThan(0);
}, chaosTimeoutMs);
