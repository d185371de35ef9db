// Proves refunds in `ministripe shell`: the payee refunds from their shell,
// and the payer's shell, watching payments (WatchPayments carries refunds),
// is told "refund received" with the payment it refunds; `payment` there
// shows the refunded total and what remains refundable.
import { expect, setDefaultTimeout, test } from "bun:test";
import { ShellProcess } from "./support/cli";
import { loadedTotalMinor, sampleAccounts } from "./support/system";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob"]);

test("the payee refunds in the shell; the payer's shell is notified of the refund received", async () => {
  const { system, alice, bob } = setup;
  const aliceShell = new ShellProcess(alice);
  const bobShell = new ShellProcess(bob);
  await aliceShell.waitFor(/^logged in as alice/);
  await bobShell.waitFor(/^logged in as bob/);
  aliceShell.send("pay --to bob --amount 40.00");
  const paid = await aliceShell.waitFor(/^paid INR 40\.00 to bob: payment (\S+)$/);
  const paymentId = /payment (\S+)$/.exec(paid.line)![1]!;
  await bobShell.waitFor(/^\[notice\] received INR 40\.00 from alice/);

  const before = aliceShell.output.length;
  bobShell.send(`refund ${paymentId} --amount 15.00 --reason "wrong size"`);
  const refunded = await bobShell.waitFor(new RegExp(`^refunded INR 15\\.00 of payment ${paymentId} to alice: refund (\\S+); INR 25\\.00 of it remains refundable$`));
  const refundId = /refund (\S+);/.exec(refunded.line)![1]!;
  await aliceShell.waitFor(new RegExp(`^\\[notice\\] refund received: INR 15\\.00 from bob for payment ${paymentId} \\("wrong size"\\) \\(refund ${refundId}\\)$`), before);

  aliceShell.send(`payment ${paymentId}`);
  await aliceShell.waitFor(/^  refunded INR 15\.00 of INR 40\.00; INR 25\.00 remains refundable$/);
  aliceShell.send("exit");
  bobShell.send("exit");
  expect(await aliceShell.done).toBe(0);
  expect(await bobShell.done).toBe(0);
  expect(system.totalMinor()).toBe(loadedTotalMinor(sampleAccounts, ["hdfc", "icici", "sbi"]));
});
