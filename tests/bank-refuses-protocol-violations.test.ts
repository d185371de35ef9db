// Proves the participant's protocol rules: Prepare, Commit and Abort are
// idempotent per transaction id; an Abort of an unknown transaction leaves a
// tombstone so a late Prepare votes NO; a Commit of an aborted or unknown
// transaction and an Abort of a committed one are refused; a leg of zero or
// beyond the largest payment is voted invalid; malformed batches
// get INVALID_ARGUMENT over gRPC. None of these changes a balance.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Participant } from "../src/bank/participant";
import { systemClock } from "../src/lib/clock";
import { limits } from "../src/lib/limits";
import { silentLogger } from "../src/lib/log";
import { unaryCall } from "./support/loose-call";
import { BankStore } from "../src/store/bank-store";
import { bankAsGateway, failsWith, startSystem, type TestSystem } from "./support/system";

function freshBank(): { store: BankStore; participant: Participant } {
  const store = new BankStore(":memory:");
  store.insertAccount({ number: "A", holder: "A", balanceMinor: 10_000n });
  store.insertAccount({ number: "B", holder: "B", balanceMinor: 0n });
  return { store, participant: new Participant(store, systemClock, silentLogger) };
}

const debitAndCredit = (txid: string, amountMinor: bigint) => ({ txid, requestId: "r", legs: [{ account: "A", deltaMinor: -amountMinor }, { account: "B", deltaMinor: amountMinor }] });

test("prepare, commit and abort are idempotent per transaction id", () => {
  const { store, participant } = freshBank();
  expect(participant.prepare([debitAndCredit("t1", 4_000n)])[0]).toMatchObject({ yes: true });
  expect(participant.prepare([debitAndCredit("t1", 4_000n)])[0]).toMatchObject({ yes: true });
  expect(store.getAccount("A")!.heldMinor).toBe(4_000n); // held once, not twice
  expect(participant.commit([{ txid: "t1", requestId: "" }])[0]!.ok).toBe(true);
  expect(participant.commit([{ txid: "t1", requestId: "" }])[0]!.ok).toBe(true);
  expect(store.getAccount("A")).toMatchObject({ balanceMinor: 6_000n, heldMinor: 0n });
  expect(store.getAccount("B")!.balanceMinor).toBe(4_000n);
  expect(store.totals().balanceSumMinor).toBe(10_000n);
});

test("a leg of zero or beyond the largest payment, either way, is voted invalid and holds nothing; the largest itself is held", () => {
  const { store, participant } = freshBank();
  store.insertAccount({ number: "R", holder: "R", balanceMinor: limits.amountMinorMax });
  const legs = (txid: string, deltaMinor: bigint) => ({ txid, requestId: "r", legs: [{ account: "R", deltaMinor }] });
  expect(participant.prepare([legs("zero", 0n), legs("out", -(limits.amountMinorMax + 1n)), legs("in", limits.amountMinorMax + 1n)]).map((vote) => vote.reason)).toEqual(["invalid", "invalid", "invalid"]);
  expect(store.getAccount("R")!.heldMinor).toBe(0n);
  expect(participant.prepare([legs("largest", -limits.amountMinorMax)])[0]).toMatchObject({ yes: true });
  expect(store.getAccount("R")!.heldMinor).toBe(limits.amountMinorMax);
});

test("an abort before the prepare leaves a tombstone: the late prepare votes no and holds nothing", () => {
  const { store, participant } = freshBank();
  expect(participant.abort([{ txid: "late", requestId: "" }])[0]!.ok).toBe(true);
  expect(participant.prepare([debitAndCredit("late", 1_000n)])[0]).toMatchObject({ yes: false, reason: "aborted" });
  expect(store.getAccount("A")!.heldMinor).toBe(0n);
});

test("commit of an aborted or unknown transaction and abort of a committed one are refused", () => {
  const { store, participant } = freshBank();
  participant.prepare([debitAndCredit("x", 1_000n), debitAndCredit("y", 1_000n)]);
  participant.abort([{ txid: "x", requestId: "" }]);
  participant.commit([{ txid: "y", requestId: "" }]);
  const before = store.listAccounts();
  expect(participant.commit([{ txid: "x", requestId: "" }])[0]).toMatchObject({ ok: false });
  expect(participant.abort([{ txid: "y", requestId: "" }])[0]).toMatchObject({ ok: false });
  expect(participant.commit([{ txid: "never-seen", requestId: "" }])[0]).toMatchObject({ ok: false });
  expect(store.listAccounts()).toEqual(before);
  expect(store.getTransaction("x")!.state).toBe("aborted");
  expect(store.getTransaction("y")!.state).toBe("committed");
});

test("a prepare beyond the available balance votes no; holds count against what is available", () => {
  const { store, participant } = freshBank();
  expect(participant.prepare([debitAndCredit("h1", 7_000n)])[0]!.yes).toBe(true);
  expect(participant.prepare([debitAndCredit("h2", 7_000n)])[0]).toMatchObject({ yes: false, reason: "insufficient_funds" });
  expect(participant.prepare([{ txid: "h3", requestId: "", legs: [{ account: "nope", deltaMinor: 5n }] }])[0]).toMatchObject({ yes: false, reason: "account_not_found" });
  expect(store.getAccount("A")!.heldMinor).toBe(7_000n);
});

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("malformed batches over gRPC are INVALID_ARGUMENT and change nothing", async () => {
  const bank = bankAsGateway(system, "hdfc");
  const before = system.totalMinor();
  const call = (method: string, request: unknown) => unaryCall(bank, method, request, { deadlineMs: 5_000 });
  await failsWith(call("Prepare", { items: [] }), "INVALID_ARGUMENT");
  await failsWith(call("Prepare", { items: [{ txid: "bad id with spaces", legs: [{ account: "1001", delta_minor: "-1" }] }] }), "INVALID_ARGUMENT");
  await failsWith(call("Prepare", { items: Array.from({ length: 600 }, (_, i) => ({ txid: `t${i}`, legs: [] })) }), "INVALID_ARGUMENT");
  await failsWith(call("Commit", { txs: [{ txid: "" }] }), "INVALID_ARGUMENT");
  const acks = await call("Commit", { txs: [{ txid: "unknown-tx" }] }) as { acks: { ok: boolean; error: string }[] };
  expect(acks.acks[0]).toMatchObject({ ok: false });
  expect(system.totalMinor()).toBe(before);
  expect(system.banks.get("hdfc")!.store.totals().openHolds).toBe(0);
  bank.close();
});

test("a retried Prepare of more than half the balance gets its YES again: its own hold is not counted against it", () => {
  const { store, participant } = freshBank();
  // 7000 of 10000: the hold leaves 3000 available, less than the retry asks for.
  const first = participant.prepare([debitAndCredit("big", 7_000n)])[0];
  expect(first).toEqual({ txid: "big", yes: true, reason: "" });
  expect(participant.prepare([debitAndCredit("big", 7_000n)])[0]).toEqual(first);
  expect(store.getAccount("A")).toMatchObject({ balanceMinor: 10_000n, heldMinor: 7_000n }); // held once
  expect(store.totals()).toMatchObject({ openHolds: 1, openHoldsMinor: 7_000n });
  expect(store.getTransaction("big")!.state).toBe("prepared");
  expect(participant.commit([{ txid: "big", requestId: "" }])[0]!.ok).toBe(true);
  expect(store.getAccount("A")).toMatchObject({ balanceMinor: 3_000n, heldMinor: 0n });
  expect(store.getAccount("B")!.balanceMinor).toBe(7_000n);
  expect(store.totals().balanceSumMinor).toBe(10_000n);
});
