// Proves an outcome finished by another process is left to that process to tell only for a while: a process id that still looks alive may be another process by now (in a container every run is pid 1), so after limits.queueClaimMs the next command tells it.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { limits } from "../src/lib/limits";
import { ClientStore } from "../src/store/client-store";

const dir = mkdtempSync(join(tmpdir(), "ministripe-untold-"));
const store = new ClientStore(join(dir, "outbox.db"));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("an untold outcome whose finisher looks alive: left to it at first, told by anyone after queueClaimMs", () => {
  const finisher = "1:pid-one";
  const startedAtMs = 1_000_000;
  expect(store.add({ idempotencyKey: "k-1", username: "alice", toUsername: "bob", amountMinor: 500n, note: "" }, finisher, startedAtMs, limits.queueClaimMs)).toBe("added");
  store.finish("k-1", { state: "succeeded", paymentId: "p-1", failureCode: null, error: null, reported: false, finishedBy: finisher }, startedAtMs + 10);
  const looksAlive = () => true;
  expect(store.listUnreported("alice", 10, looksAlive, startedAtMs + 20).map((e) => e.idempotencyKey)).toEqual([]);
  expect(store.listUnreported("alice", 10, looksAlive, startedAtMs + 10 + limits.queueClaimMs + 1).map((e) => e.idempotencyKey)).toEqual(["k-1"]);
  // A finisher seen gone leaves it to anyone at once, as before.
  expect(store.listUnreported("alice", 10, () => false, startedAtMs + 20).map((e) => e.idempotencyKey)).toEqual(["k-1"]);
});
