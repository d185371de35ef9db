// Proves the chaos test's invariants with two gateways on one PostgreSQL database: gateways and banks SIGKILLed and restarted at random, network faults between a gateway and a bank, concurrent payers given both gateways. The total is unchanged, no hold or prepared transaction is left, every payment a client saw SUCCEEDED is in both banks' ledgers exactly once and every FAILED one in neither, balances match, and payments through every bank succeed soon after the last fault heals.
// Replay a run with MINISTRIPE_SEED=<printed seed>; MINISTRIPE_CHAOS_MS runs a longer one.
import { setDefaultTimeout } from "bun:test";
import { chaosTest } from "./support/chaos";

setDefaultTimeout(60_000);

chaosTest(2);
