// Proves that what the client can refuse without the gateway is refused
// (exit 2) rather than queued (exit 75) while the gateway is down: a payee
// that is not a username, and the user paying themself; nothing is queued
// and nothing moves. A valid payment is still queued.
import { expect, setDefaultTimeout, test } from "bun:test";
import { cli, queueEntries } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(30_000);
const setup = systemWithCliUsers(["carol", "bob"]);
const { totalMinor } = setup;

test("offline, a payee that is not a username and a payment to oneself are exit 2 and queue nothing", async () => {
  const { system, carol } = setup;
  await system.stopGateway();
  const notAName = await cli(carol, "pay", "--to", "BOB", "--amount", "0.01");
  expect({ exitCode: notAName.exitCode, stderr: notAName.stderr }).toEqual({ exitCode: 2, stderr: "ministripe pay: --to: a username such as bob\n" });
  const toSelf = await cli(carol, "pay", "--to", "carol", "--amount", "0.01");
  expect({ exitCode: toSelf.exitCode, stderr: toSelf.stderr }).toEqual({ exitCode: 2, stderr: "ministripe pay: --to: you cannot pay yourself\n" });
  expect(await queueEntries(carol)).toEqual([]);

  expect((await cli(carol, "pay", "--to", "bob", "--amount", "0.01")).exitCode).toBe(75);
  expect(await queueEntries(carol)).toHaveLength(1);
  await system.startGateway();
  expect((await cli(carol, "sync")).exitCode).toBe(0);
  expect(system.totalMinor()).toBe(totalMinor);
});
