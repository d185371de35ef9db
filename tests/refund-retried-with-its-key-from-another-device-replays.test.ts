// Proves a refund retried with its key from another device (a second home of the payee, whose queue never saw it) is answered as the first refund's replay, not as the key used with other parameters: without --amount it sends what the first send was for (all that remained then, or the partial amount given), so money moves once, to the paisa, and the total is unchanged.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { cli, cliBalanceMinor, cliPay, login, type CliUser } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(120_000);
const setup = systemWithCliUsers(["alice", "bob"]);

async function refundJson(user: CliUser, ...args: string[]): Promise<{ id: string; amount_minor: string; replayed: boolean }> {
  const result = await cli(user, "refund", ...args, "--json");
  expect({ args, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ args, exitCode: 0, stderr: "" });
  return JSON.parse(result.stdout);
}

test("the same key from bob's second home: a replay of the first refund, full or partial, never a conflict or a second refund", async () => {
  const { system, alice, bob } = setup;
  const bobElsewhere: CliUser = { ...bob, home: mkdtempSync(join(system.dir, "home-bob-second-")) };
  await login(bobElsewhere);
  const [aliceBefore, bobBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(bob)];
  const whole = await cliPay(alice, "bob", "50.00");
  const part = await cliPay(alice, "bob", "40.00");

  // All that remained: on the second home nothing remains by then, yet the key means the first send.
  const first = await refundJson(bob, whole, "--key", "second-device-all");
  expect(first).toMatchObject({ amount_minor: "5000", replayed: false });
  expect(await refundJson(bobElsewhere, whole, "--key", "second-device-all")).toMatchObject({ id: first.id, amount_minor: "5000", replayed: true });

  // A partial amount given on the first device, the retry without --amount.
  const partial = await refundJson(bob, part, "--amount", "15.00", "--key", "second-device-part");
  expect(partial).toMatchObject({ amount_minor: "1500", replayed: false });
  expect(await refundJson(bobElsewhere, part, "--key", "second-device-part")).toMatchObject({ id: partial.id, amount_minor: "1500", replayed: true });

  // All that remained after an earlier partial refund (25.00), retried from the other home once nothing remains.
  const rest = await refundJson(bob, part, "--key", "second-device-rest");
  expect(rest).toMatchObject({ amount_minor: "2500", replayed: false });
  expect(await refundJson(bobElsewhere, part, "--key", "second-device-rest")).toMatchObject({ id: rest.id, amount_minor: "2500", replayed: true });

  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 9_000n + 5_000n + 1_500n + 2_500n);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + 9_000n - 5_000n - 1_500n - 2_500n);
  expect(system.totalMinor()).toBe(setup.totalMinor);
});
