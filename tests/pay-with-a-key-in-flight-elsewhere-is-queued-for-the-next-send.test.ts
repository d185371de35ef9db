// Proves `pay` with a key another device is still sending is answered within the client's deadline and queued with words that are true (the gateway was reached: it will be sent again with the key, not "when the gateway is back"), and that its next send gets the first payment's outcome: money moves once.
import { expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, cliBalanceMinor, login, until } from "./support/cli";
import { systemWithCliUsers } from "./support/sample-users";

setDefaultTimeout(60_000);
const setup = systemWithCliUsers(["alice", "bob"], { proxied: ["icici"], prepareTimeoutMs: 60_000 });

test("the same key from a second device while the first send waits for a vote: queued (exit 75) saying it is sent again with the key; sync then replays it", async () => {
  const { system, alice, bob, totalMinor } = setup;
  const [aliceBefore, bobBefore] = [await cliBalanceMinor(alice), await cliBalanceMinor(bob)];
  const phone = { ...alice, home: mkdtempSync(join(tmpdir(), "ministripe-phone-")) };
  try {
    await login(phone);
    const laptop = system.client("client-alice");
    laptop.token = (await laptop.call("Login", { username: "alice", password: alice.password, otp: "" }, { retry: false })).token;

    // bob's bank holds its vote: the laptop's payment stays in flight at the gateway.
    const icici = system.proxies.get("icici")!;
    icici.hold();
    const first = laptop.call("Pay", { idempotency_key: "groceries-1", to_username: "bob", amount_minor: "700", note: "" }, { retry: false, deadlineMs: 90_000 });
    await until("the laptop's payment in flight", async () => (await system.gateway.store.paymentByKey("alice", "groceries-1")) !== undefined);

    const second = await cli(phone, "pay", "--to", "bob", "--amount", "7.00", "--key", "groceries-1");
    expect(second.stderr).toContain("a payment with this key is still in progress");
    expect(second.stderr).toContain("payment queued with key groceries-1 and will be sent again with the same key by the next command, sync or the shell");
    expect(second.stderr).not.toContain("when the gateway is back");
    expect(second.exitCode).toBe(75);

    icici.heal();
    expect((await first).payment?.status).toBe("SUCCEEDED");
    const synced = await cli(phone, "sync");
    expect(synced.exitCode).toBe(0);
    expect(synced.stdout).toContain("succeeded (recorded under this key already; it moved money once)");
  } finally {
    rmSync(phone.home, { recursive: true, force: true });
  }
  expect(await cliBalanceMinor(alice)).toBe(aliceBefore - 700n);
  expect(await cliBalanceMinor(bob)).toBe(bobBefore + 700n);
  expect(system.totalMinor()).toBe(totalMinor);
});
