// Proves the client commands say what went wrong in the user's words with SPEC's exit codes: a gateway that is down is "cannot reach the gateway at HOST:PORT (connection refused)" in balance, in pay's queued message and in queue's last error, and a wrong peer or another deployment's CA says which; a busy port is one plain line; a wire field name is shown as its flag; counts are in the right number; and every time is one readable form with its zone.
import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { cli, cliWithEnv, deadAddress, runMain } from "./support/cli";
import { initCertificates } from "../src/rpc/certificates";
import { systemWithCliUsers } from "./support/sample-users";

// Each command is a process of its own: on a loaded machine a few take seconds.
setDefaultTimeout(60_000);

const setup = systemWithCliUsers(["alice", "bob", "carol"]);

test("a gateway that is down: one plain line in balance, pay (queued, exit 75) and the queue's last error", async () => {
  const { alice } = setup;
  const dead = await deadAddress();
  const offline = { ...alice, gateway: dead };
  const balance = await cli(offline, "balance");
  expect(balance.exitCode).toBe(4);
  expect(balance.stderr).toBe(`ministripe balance: cannot reach the gateway at ${dead} (connection refused)\n`);

  const pay = await cli(offline, "pay", "--to", "bob", "--amount", "1.00", "--key", "offline-words-1");
  expect(pay.exitCode).toBe(75);
  expect(pay.stderr).toBe(`cannot reach the gateway at ${dead} (connection refused); payment queued with key offline-words-1 and will be sent when the gateway is back\n`);

  const queue = await cli(offline, "queue");
  expect(queue.exitCode).toBe(0);
  expect(queue.stdout).toBe(`offline-words-1  1.00 to bob  queued  attempts 1  last error: cannot reach the gateway at ${dead} (connection refused)\n`);
  // Sent once the gateway is reachable again, so the other tests see a clean queue.
  expect((await cli(alice, "sync")).exitCode).toBe(0);
});

test("a server that is not the gateway, or certificates of another deployment: said plainly, exit 3 (a setup to correct, not a gateway away: a payment is not queued)", async () => {
  const { system, alice } = setup;
  const bankAddress = system.bankAddresses.get("hdfc")!;
  const wrongPeer = await cli({ ...alice, gateway: bankAddress }, "balance");
  expect(wrongPeer.exitCode).toBe(3);
  expect(wrongPeer.stderr).toBe(`ministripe balance: cannot connect to ${bankAddress} securely: the server there is bank-hdfc, by its certificate\n`);
  const notQueued = await cli({ ...alice, gateway: bankAddress }, "pay", "--to", "bob", "--amount", "1.00");
  expect({ exitCode: notQueued.exitCode, stderr: notQueued.stderr }).toEqual({ exitCode: 3, stderr: `ministripe pay: cannot connect to ${bankAddress} securely: the server there is bank-hdfc, by its certificate\n` });
  expect((await cli(alice, "queue")).stdout).toBe("the queue is empty\n");
  const otherCa = join(system.dir, "other-deployment");
  await initCertificates({ dir: otherCa, hosts: ["localhost", "127.0.0.1"], banks: [], clients: ["alice"] });
  const foreign = await cli({ ...alice, certs: join(otherCa, "client-alice") }, "balance");
  expect(foreign.exitCode).toBe(3);
  expect(foreign.stderr).toBe(`ministripe balance: cannot connect to ${system.gatewayAddress} securely: its certificate is not from this certificate folder's CA\n`);
});

test("a busy port: the server says so in one line and logs nothing to the terminal", async () => {
  const { system } = setup;
  const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const gateway = await runMain(["gateway", "--port", String(holder.port), "--bank", `hdfc=${system.bankAddresses.get("hdfc")}`, "--data", join(system.dir, "busy-gateway"), "--certs", join(system.certsDir, "gateway")]);
    expect(gateway.exitCode).toBe(4);
    expect(gateway.stderr).toBe(`ministripe gateway: port ${holder.port} on 127.0.0.1 is already in use\n`);
    expect(gateway.stdout).toBe("");
    const bank = await runMain(["bank", "--name", "hdfc", "--port", String(holder.port), "--data", join(system.dir, "busy-bank"), "--accounts", system.accountsPath, "--certs", join(system.certsDir, "bank-hdfc")]);
    expect(bank.exitCode).toBe(4);
    expect(bank.stderr).toBe(`ministripe bank: port ${holder.port} on 127.0.0.1 is already in use\n`);
  } finally {
    holder.stop(true);
  }
});

test("the gateway's wire field names are shown as the flags the user typed", async () => {
  const { alice } = setup;
  const self = await cli(alice, "pay", "--to", "alice", "--amount", "1.00");
  expect(self.exitCode).toBe(2);
  expect(self.stderr).toBe("ministripe pay: --to: you cannot pay yourself\n");
});

test("counts in the right number: one session ended", async () => {
  const { carol } = setup;
  const changed = await cliWithEnv(carol, { MINISTRIPE_NEW_PASSWORD: "carol-password-2" }, "passwd");
  expect(changed.stderr).toBe("");
  expect(changed.exitCode).toBe(0);
  expect(changed.stdout).toBe("password changed; 1 session ended. Log in again.\n");
});

test("counts in the right number: a bench of one bank on one connection", async () => {
  const bench = await runMain(["bench", "--duration", "1s", "--warmup", "1s", "--banks", "1", "--accounts-per-bank", "2", "--concurrency", "1", "--connections", "1"]);
  expect(bench.exitCode).toBe(0);
  expect(bench.stderr).toStartWith("starting 1 bank and a gateway in ");
  expect(bench.stdout).toStartWith("payments through 1 bank (b1), 2 users, concurrency 1 on 1 connection\n");
});

test("login's expiry, payments and payment show one time form with its zone", async () => {
  const { alice } = setup;
  const zone = { TZ: "Asia/Kolkata" };
  const stamp = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+05:30`;
  const login = await cliWithEnv(alice, zone, "login", "--username", "alice");
  expect(login.exitCode).toBe(0);
  expect(login.stdout).toMatch(new RegExp(`^logged in as alice until ${stamp}\\n$`));
  const paid = await cli(alice, "pay", "--to", "bob", "--amount", "2.00", "--key", "time-form-1");
  expect(paid.exitCode).toBe(0);
  const list = await cliWithEnv(alice, zone, "payments", "--limit", "1");
  expect(list.stdout).toMatch(new RegExp(`^${stamp}  alice -> bob  INR 2\\.00  SUCCEEDED  \\S+\\n$`));
  const one = await cliWithEnv(alice, zone, "payment", "time-form-1");
  expect(one.stdout).toBe(list.stdout);
  const utc = await cliWithEnv(alice, { TZ: "UTC" }, "payment", "time-form-1");
  expect(utc.stdout).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC  alice -> bob/);
});
