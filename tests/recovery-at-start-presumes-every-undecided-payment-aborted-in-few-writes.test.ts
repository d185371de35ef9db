// Proves a gateway starting up presumes aborted every payment the last run left undecided, whatever their creation times say (a clock set back across the restart must not leave some PENDING, their keys answered "still in progress"), and writes those decisions a page at a time in shared transactions, not one fsync per payment before it listens.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BankLinks } from "../src/gateway/bank-links";
import { Coordinator } from "../src/gateway/coordinator";
import { systemClock } from "../src/lib/clock";
import { silentLogger } from "../src/lib/log";
import { SqliteGatewayStore } from "../src/store/gateway-sqlite";
import { paymentRows, userRow } from "./support/gateway-rows";

let dir: string;
let store: SqliteGatewayStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ministripe-recovery-"));
  store = new SqliteGatewayStore(join(dir, "gateway.db"));
  await store.insertUser(userRow("alice", "hdfc", "1001"));
  await store.insertUser(userRow("bob", "icici", "2001"));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("every undecided payment of the last run is aborted at start, the clock set back or not, in shared transactions", async () => {
  const make = paymentRows((n) => `undecided-${String(n).padStart(5, "0")}`);
  const nowMs = Date.now();
  const rows = Array.from({ length: 300 }, (_, i) => make({ createdAtMs: nowMs - 60_000 + i }));
  // Claimed by the last run while its clock ran ten minutes ahead of this one's.
  const ahead = Array.from({ length: 3 }, () => make({ createdAtMs: nowMs + 10 * 60_000 }));
  for (const row of [...rows, ...ahead]) expect((await store.claim(row)).claimed).toBe(true);

  const transactions: number[] = [];
  store.observeWriteBatches((size) => transactions.push(size));
  // No bank reachable: phase two waits for the driver; the decisions are what recovery writes.
  const banks = new BankLinks(new Map(), undefined as never, silentLogger, 5_000, systemClock);
  const coordinator = new Coordinator({ store, banks, clock: systemClock, log: silentLogger, prepareTimeoutMs: 5_000 });
  try {
    expect(await coordinator.recover()).toBe(rows.length + ahead.length);
  } finally {
    coordinator.stop();
  }
  for (const row of [...rows, ...ahead]) expect((await store.getPayment(row.id))?.decision).toBe("ABORT");
  expect(transactions.reduce((sum, size) => sum + size, 0)).toBeGreaterThanOrEqual(rows.length + ahead.length);
  expect(transactions.length).toBeLessThan((rows.length + ahead.length) / 10);
});
