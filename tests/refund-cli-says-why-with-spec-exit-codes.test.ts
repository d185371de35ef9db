// Proves `ministripe refund` from the command line: each refusal is one line
// saying why (and what remains refundable) with SPEC's exit code, and moves
// nothing: zero, negative or over-precise amounts (2), an unknown payment
// (2), a failed payment (2), the payer refunding (3), a refund of a refund
// (2), more than remains (2), a fully refunded payment (2); a partial then a
// default refund of all that remains (0); a refund the payee cannot fund is
// declined (1).
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, cliBalanceMinor, cliPay, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(120_000);
const setup = systemWithCliUsers(["alice", "bob"]);
const { totalMinor } = setup;

/** Every balance at every bank and every payment row with its reservation, read from the stores. */
async function snapshot() {
  const { system } = setup;
  return {
    balances: [...system.banks.values()].map((bank) => bank.store.listAccounts().map((a: any) => String(a.balanceMinor))),
    payments: (await system.gateway.store.listAllPayments(undefined, 500)).map((p) => [p.id, p.decision, String(p.refundReservedMinor)]),
  };
}

async function refusedWith(user: CliUser, exitCode: number, pattern: RegExp, ...args: string[]): Promise<void> {
  const before = await snapshot();
  const result = await cli(user, "refund", ...args);
  expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode });
  expect(result.stderr.trim().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(await snapshot()).toEqual(before);
}

test("refusals: one line, SPEC's exit code, nothing moves; then partial and full refunds", async () => {
  const { system, alice, bob } = setup;
  const paymentId = await cliPay(alice, "bob", "50.00");
  const failed = await cli(alice, "pay", "--to", "bob", "--amount", "99999.00", "--json");
  expect(failed.exitCode).toBe(1);
  const failedId = JSON.parse(failed.stdout).id;

  for (const amount of ["0", "0.00", "-5", "100.555", "ten"]) await refusedWith(bob, 2, /--amount/, paymentId, `--amount=${amount}`);
  await refusedWith(bob, 2, /no payment "0000-0000"/, "0000-0000");
  await refusedWith(bob, 2, /failed and moved no money; nothing of it is refundable/, failedId);
  await refusedWith(alice, 3, /only the payee of payment \S+ \(bob\) can refund it/, paymentId);

  const partial = await cli(bob, "refund", paymentId, "--amount", "30.00", "--json");
  expect(partial.exitCode).toBe(0);
  const refundId = JSON.parse(partial.stdout).id;
  await refusedWith(alice, 2, /is itself a refund .* nothing of it is refundable/, refundId);
  await refusedWith(bob, 2, new RegExp(`only INR 20\\.00 of payment ${paymentId} remains refundable`), paymentId, "--amount", "20.01");

  const rest = await cli(bob, "refund", paymentId, "--reason", "order cancelled");
  expect(rest.exitCode).toBe(0);
  expect(rest.stdout).toMatch(new RegExp(`^refunded INR 20\\.00 of payment ${paymentId} to alice: refund \\S+; INR 0\\.00 of it remains refundable`));
  await refusedWith(bob, 2, /fully refunded .*nothing remains refundable/, paymentId);
  expect(await cliBalanceMinor(alice)).toBe(500_000n);
  expect(await cliBalanceMinor(bob)).toBe(120_000n);
  expect(system.totalMinor()).toBe(totalMinor);
});

test("a refund the payee's balance cannot cover is declined: exit 1, nothing moves", async () => {
  const { system, alice, bob } = setup;
  const paymentId = await cliPay(alice, "bob", "1000.00");
  await cliPay(bob, "alice", "2000.00"); // bob keeps 200.00
  const declined = await cli(bob, "refund", paymentId);
  expect(declined.exitCode).toBe(1);
  // The refunder is the one short of money: "the sender", not "the payer" (the original payment's).
  expect(declined.stdout).toMatch(/^refund declined: insufficient_funds: the sender's available balance is too low/);
  expect(await cliBalanceMinor(bob)).toBe(20_000n);
  expect((await cli(bob, "refund", paymentId, "--amount", "150.00")).exitCode).toBe(0);
  expect(system.totalMinor()).toBe(totalMinor);
});
