// Proves the audit checks refunds: clean after a real refund, it reports a
// payment whose succeeded refunds exceed it and a reservation that disagrees
// with its refunds (and that its banks moved another amount), then a refund
// that does not go back from the payee to the payer (each made by tampering
// with the gateway's store).
import { afterAll, beforeAll, expect, test, setDefaultTimeout } from "bun:test";
import type { AuditReport } from "../src/gateway/audit";
import { pay, refund, signUp, startSystem, tamperGateway, type TestSystem } from "./support/system";

// A bound against hangs (the preload's default reaches only the first file of a run), not a speed check.
setDefaultTimeout(30_000);
let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

async function audit(): Promise<AuditReport> {
  return system.client("admin").callAdmin("Audit", {}, { retry: false });
}

test("the audit reports a refund total exceeding its payment, and a refund going the wrong way", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
  const paid = await pay(alice, "bob", 10_000n);
  const refunded = await refund(bob, paid.payment.id, 6_000n);
  expect(refunded.refund.status).toBe("SUCCEEDED");
  expect(await audit()).toMatchObject({ ok: true, violations: [] });

  tamperGateway(system, "UPDATE payments SET amount_minor = 15000 WHERE id = ?", refunded.refund.id);
  const report = await audit();
  expect(report.ok).toBe(false);
  expect(report.violations).toContain(`payment ${paid.payment.id}: refunds of 150.00 succeeded, more than its amount 100.00`);
  expect(report.violations).toContain(`payment ${paid.payment.id}: 60.00 reserved for refunds, but its refunds not aborted total 150.00`);
  // And, refund checks apart, the banks moved 60.00 for it: the ledger walk sees that too.
  expect(report.mismatches).toEqual([
    `payment ${refunded.refund.id}: hdfc moved 60.00 to account 1001, but the gateway recorded 150.00 to account 1001`,
    `payment ${refunded.refund.id}: icici moved 60.00 from account 2001, but the gateway recorded 150.00 from account 2001`,
  ]);

  tamperGateway(system, "UPDATE payments SET amount_minor = 6000, payee = 'carol' WHERE id = ?", refunded.refund.id);
  expect((await audit()).violations).toEqual([`refund ${refunded.refund.id} does not go back from its succeeded payment's payee to its payer`]);
});
