// Proves the gateway survives a participant that answers garbage (votes for
// transactions it was never asked about): the payment aborts as rejected,
// the other bank's hold is voided, no balance changes and the gateway serves on.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type * as grpc from "@grpc/grpc-js";
import { join } from "node:path";
import { loadCertFolder } from "../src/rpc/credentials";
import { createServer, listen, stopServer } from "../src/rpc/server";
import { balanceMinor, loadedTotalMinor, pay, sampleAccounts, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
let impostor: grpc.Server | undefined;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  if (impostor) await stopServer(impostor);
  await system.stop();
});

test("a bank answering votes for the wrong transactions: FAILED rejected, holds voided elsewhere", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
  const before = system.totalMinor();

  // Replace sbi by a server with sbi's certificate that answers nonsense.
  const port = Number(system.bankAddresses.get("sbi")!.split(":")[1]);
  await system.banks.get("sbi")!.stop();
  const certs = loadCertFolder(join(system.certsDir, "bank-sbi"));
  const nonsense = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => callback(null, { votes: [{ txid: "not-yours", yes: true }], acks: [{ txid: "not-yours", ok: true }] });
  impostor = createServer({ certs, interceptors: [], implementations: { Bank: { Prepare: nonsense, Commit: nonsense, Abort: nonsense } }, health: () => "SERVING" });
  await listen(impostor, certs, "127.0.0.1", port);

  const reply = await pay(alice, "carol", 20_000n);
  expect(reply.payment).toMatchObject({ status: "FAILED", failure_code: "rejected" });
  const hdfc = system.banks.get("hdfc")!.store;
  expect(hdfc.getTransaction(reply.payment.id)!.state).toBe("aborted");
  expect(hdfc.totals().heldSumMinor).toBe(0n);
  expect(await balanceMinor(alice)).toBe(500_000n);
  // sbi is the impostor now; its real books (closed, untouched) still hold what they held.
  const hdfcAndIcici = [...system.banks].filter(([name]) => name !== "sbi").reduce((sum, [, bank]) => sum + bank.store.totals().balanceSumMinor, 0n);
  expect(hdfcAndIcici + loadedTotalMinor(sampleAccounts, ["sbi"])).toBe(before);
  // The gateway still serves payments that do not involve the impostor.
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  expect((await pay(alice, "bob", 1n)).payment.status).toBe("SUCCEEDED");
});
