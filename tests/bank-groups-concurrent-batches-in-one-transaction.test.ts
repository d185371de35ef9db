// Proves the bank's group commit: batches that arrive together (or in one Exchange)
// share one SQLite transaction (one fsync), and each RPC still gets exactly
// its own votes and acknowledgements, with the money right to the minor unit.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { unaryCall } from "./support/loose-call";
import type { BankStore } from "../src/store/bank-store";
import { bankAsGateway, failsWith, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});

/** Counts a bank store's SQLite transactions until `restore()`. */
function countTransactions(store: BankStore): { readonly count: number; restore(): void } {
  let count = 0;
  const original = store.transaction.bind(store);
  store.transaction = ((fn: () => unknown, durability?: "full" | "normal") => {
    count += 1;
    return original(fn, durability);
  }) as typeof store.transaction;
  return {
    get count() {
      return count;
    },
    restore: () => {
      store.transaction = original;
    },
  };
}

test("20 concurrent Prepare RPCs and their Commits run in fewer transactions, each answered for its own items", async () => {
  const hdfc = system.banks.get("hdfc")!;
  const bank = bankAsGateway(system, "hdfc");
  const call = <Res>(method: string, request: unknown) => unaryCall<unknown, Res>(bank, method, request, { deadlineMs: 10_000 });
  const transactions = countTransactions(hdfc.store);
  const before = hdfc.store.getAccount("1001")!.balanceMinor;
  const sumBefore = hdfc.store.totals().balanceSumMinor;
  // Payment i moves i+1 minor units from 1001 to 1002, both at hdfc; the last asks for too much.
  const txids = Array.from({ length: 20 }, (_, i) => `group-${i}`);
  const amountOf = (i: number) => (i === 19 ? 600_000n : BigInt(i + 1)); // 1001 holds 5000.00
  try {
    const votes = await Promise.all(
      txids.map((txid, i) =>
        call<{ votes: { txid: string; yes: boolean; reason: string }[] }>("Prepare", {
          items: [{ txid, request_id: txid, legs: [{ account: "1001", delta_minor: String(-amountOf(i)) }, { account: "1002", delta_minor: String(amountOf(i)) }] }],
        }),
      ),
    );
    votes.forEach((reply, i) => {
      expect(reply.votes).toHaveLength(1);
      expect(reply.votes[0]).toMatchObject({ txid: txids[i], yes: i !== 19, reason: i === 19 ? "insufficient_funds" : "" });
    });
    const preparedIn = transactions.count;
    expect(preparedIn).toBeLessThan(20);
    const acks = await Promise.all(txids.slice(0, 19).map((txid) => call<{ acks: { txid: string; ok: boolean; error: string }[] }>("Commit", { txs: [{ txid, request_id: txid }] })));
    acks.forEach((reply, i) => expect(reply.acks).toEqual([{ txid: txids[i]!, ok: true, error: "" }]));
    expect(transactions.count - preparedIn).toBeLessThan(19);
  } finally {
    transactions.restore();
    bank.close();
  }
  // 1 + 2 + ... + 19 moved inside hdfc: its total is unchanged, nothing is held.
  expect(hdfc.store.getAccount("1001")!.balanceMinor).toBe(before - 190n);
  expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(0n);
  expect(hdfc.store.totals().balanceSumMinor).toBe(sumBefore);
  expect(hdfc.store.totals().openHolds).toBe(0);
});

test("one Exchange carries phase one of a payment and phase two of others, in one transaction, answered per part", async () => {
  const hdfc = system.banks.get("hdfc")!;
  const bank = bankAsGateway(system, "hdfc");
  type ExchangeReply = { votes: { txid: string; yes: boolean; reason: string }[]; commit_acks: { txid: string; ok: boolean; error: string }[]; abort_acks: { txid: string; ok: boolean; error: string }[] };
  const exchange = (request: unknown) => unaryCall<unknown, ExchangeReply>(bank, "Exchange", request, { deadlineMs: 10_000 });
  const move = (txid: string, amountMinor: number) => ({ txid, request_id: txid, legs: [{ account: "1001", delta_minor: -amountMinor }, { account: "1002", delta_minor: amountMinor }] });
  const sumBefore = hdfc.store.totals().balanceSumMinor;
  const payer = hdfc.store.getAccount("1001")!.balanceMinor;
  try {
    const first = await exchange({ prepare: [move("x-commit", 300), move("x-abort", 500)] });
    expect(first.votes.map((vote) => vote.yes)).toEqual([true, true]);
    expect(first.commit_acks).toEqual([]);
    const transactions = countTransactions(hdfc.store);
    // A new prepare, the commit of one, the abort of the other, and an abort that leaves a tombstone.
    const second = await exchange({ prepare: [move("x-new", 700)], commit: [{ txid: "x-commit", request_id: "" }], abort: [{ txid: "x-abort", request_id: "" }, { txid: "x-never", request_id: "" }] });
    transactions.restore();
    expect(transactions.count).toBe(1);
    expect(second.votes).toEqual([{ txid: "x-new", yes: true, reason: "" }]);
    expect(second.commit_acks).toEqual([{ txid: "x-commit", ok: true, error: "" }]);
    expect(second.abort_acks.map((ack) => [ack.txid, ack.ok])).toEqual([["x-abort", true], ["x-never", true]]);
    // The tombstone: a late Prepare of x-never votes NO.
    const late = await exchange({ prepare: [move("x-never", 100)], abort: [{ txid: "x-new", request_id: "" }] });
    expect(late.votes).toEqual([{ txid: "x-never", yes: false, reason: "aborted" }]);
    await failsWith(exchange({}), "INVALID_ARGUMENT");
  } finally {
    bank.close();
  }
  expect(hdfc.store.getAccount("1001")!.balanceMinor).toBe(payer - 300n);
  expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(0n);
  expect(hdfc.store.totals().balanceSumMinor).toBe(sumBefore);
});

test("in one Exchange the decisions go first: a prepare can use the funds an abort in the same call releases", async () => {
  const hdfc = system.banks.get("hdfc")!;
  const bank = bankAsGateway(system, "hdfc");
  const exchange = (request: unknown) => unaryCall<unknown, { votes: { txid: string; yes: boolean; reason: string }[] }>(bank, "Exchange", request, { deadlineMs: 10_000 });
  const account = hdfc.store.getAccount("1001")!;
  const availableMinor = Number(account.balanceMinor - account.heldMinor);
  const debit = (txid: string) => ({ txid, request_id: txid, legs: [{ account: "1001", delta_minor: -availableMinor }, { account: "1002", delta_minor: availableMinor }] });
  try {
    expect((await exchange({ prepare: [debit("all-first")] })).votes).toEqual([{ txid: "all-first", yes: true, reason: "" }]);
    // Everything is held: only the abort in the same call makes room for the second.
    const reply = await exchange({ prepare: [debit("all-second")], abort: [{ txid: "all-first", request_id: "" }] });
    expect(reply.votes).toEqual([{ txid: "all-second", yes: true, reason: "" }]);
    await exchange({ abort: [{ txid: "all-second", request_id: "" }] });
  } finally {
    bank.close();
  }
  expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(0n);
  expect(hdfc.store.getAccount("1001")!.balanceMinor).toBe(account.balanceMinor);
});

test("an Exchange sent again (its reply lost) gets the same answers, and the money moves once", async () => {
  const hdfc = system.banks.get("hdfc")!;
  const bank = bankAsGateway(system, "hdfc");
  const exchange = (request: unknown) => unaryCall<unknown, unknown>(bank, "Exchange", request, { deadlineMs: 10_000 });
  const move = (txid: string, amountMinor: number) => ({ txid, request_id: txid, legs: [{ account: "1001", delta_minor: -amountMinor }, { account: "1002", delta_minor: amountMinor }] });
  const payer = hdfc.store.getAccount("1001")!.balanceMinor;
  const payee = hdfc.store.getAccount("1002")!.balanceMinor;
  try {
    const phaseOne = { prepare: [move("again-commit", 250), move("again-abort", 400)] };
    const votes = await exchange(phaseOne);
    expect(await exchange(phaseOne)).toEqual(votes);
    expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(650n);
    const phaseTwo = { commit: [{ txid: "again-commit", request_id: "" }], abort: [{ txid: "again-abort", request_id: "" }] };
    const acks = await exchange(phaseTwo);
    expect(acks).toMatchObject({ commit_acks: [{ txid: "again-commit", ok: true }], abort_acks: [{ txid: "again-abort", ok: true }] });
    expect(await exchange(phaseTwo)).toEqual(acks);
    // Phase one sent again after phase two: the decided payments keep their outcome.
    const late = (await exchange(phaseOne)) as { votes: { txid: string; yes: boolean }[] };
    expect(late.votes.map((vote) => [vote.txid, vote.yes])).toEqual([["again-commit", true], ["again-abort", false]]);
  } finally {
    bank.close();
  }
  expect(hdfc.store.getAccount("1001")!.balanceMinor).toBe(payer - 250n);
  expect(hdfc.store.getAccount("1002")!.balanceMinor).toBe(payee + 250n);
  expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(0n);
});
