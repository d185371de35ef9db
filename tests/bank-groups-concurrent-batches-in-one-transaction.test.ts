// Proves the bank's group commit across RPCs: batches that arrive together
// share one SQLite transaction (one fsync), and each RPC still gets exactly
// its own votes and acknowledgements, with the money right to the minor unit.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { connect, unaryCall } from "../src/rpc/channel";
import { loadCertFolder } from "../src/rpc/credentials";
import { startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});

test("20 concurrent Prepare RPCs and their Commits run in fewer transactions, each answered for its own items", async () => {
  const hdfc = system.banks.get("hdfc")!;
  const bank = connect("Bank", system.bankAddresses.get("hdfc")!, { certs: loadCertFolder(join(system.certsDir, "gateway")), expect: { role: "bank", name: "hdfc" } });
  const call = <Res>(method: string, request: unknown) => unaryCall<unknown, Res>(bank, method, request, { deadlineMs: 10_000 });
  let transactions = 0;
  const transaction = hdfc.store.transaction.bind(hdfc.store);
  hdfc.store.transaction = ((fn: () => unknown, durability?: "full" | "normal") => {
    transactions += 1;
    return transaction(fn, durability);
  }) as typeof hdfc.store.transaction;
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
    const preparedIn = transactions;
    expect(preparedIn).toBeLessThan(20);
    const acks = await Promise.all(txids.slice(0, 19).map((txid) => call<{ acks: { txid: string; ok: boolean; error: string }[] }>("Commit", { txs: [{ txid, request_id: txid }] })));
    acks.forEach((reply, i) => expect(reply.acks).toEqual([{ txid: txids[i]!, ok: true, error: "" }]));
    expect(transactions - preparedIn).toBeLessThan(19);
  } finally {
    hdfc.store.transaction = transaction;
    bank.close();
  }
  // 1 + 2 + ... + 19 moved inside hdfc: its total is unchanged, nothing is held.
  expect(hdfc.store.getAccount("1001")!.balanceMinor).toBe(before - 190n);
  expect(hdfc.store.getAccount("1001")!.heldMinor).toBe(0n);
  expect(hdfc.store.totals().balanceSumMinor).toBe(sumBefore);
  expect(hdfc.store.totals().openHolds).toBe(0);
});
