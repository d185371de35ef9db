// Proves a refund asked by someone who is party to neither side of a payment is refused (PERMISSION_DENIED) without telling them who was paid or anything else of the payment, as GetPayment refuses them; the payer, who knows the payee, is still told who can refund it; nothing changes.
import { expect, test } from "bun:test";
import { failsWith, pay, refund } from "./support/system";
import { systemWithSignedUpUsers } from "./support/sample-users";

const setup = systemWithSignedUpUsers(["alice", "bob", "carol"], { banks: ["hdfc", "icici", "sbi"] });

test("a stranger's refund is refused naming no one; the payer is told who the payee is", async () => {
  const { system, alice, carol } = setup;
  const paid = await pay(alice, "bob", 4_321n);
  const totalBefore = system.totalMinor();

  const stranger = await failsWith(refund(carol, paid.payment.id, 100n), "PERMISSION_DENIED");
  expect(stranger.message).toContain("only its payee can refund it");
  for (const secret of ["bob", "alice", "43.21", "4321", "icici", "hdfc"]) expect(stranger.message).not.toContain(secret);
  // As GetPayment answers the same stranger.
  await failsWith(carol.call("GetPayment", { id_or_key: paid.payment.id }, { retry: false }), "PERMISSION_DENIED");

  const payer = await failsWith(refund(alice, paid.payment.id, 100n), "PERMISSION_DENIED");
  expect(payer.message).toMatch(/only the payee of payment \S+ \(bob\) can refund it/);

  expect(system.totalMinor()).toBe(totalBefore);
  expect((await system.gateway.store.getPayment(paid.payment.id))?.refundReservedMinor).toBe(0n);
});
