// Proves a second gateway or bank started on a data folder whose database a
// running one holds is refused (exit 2, one line saying so) before it opens
// the file: it started and served, aborted the first one's live payments in
// its own recovery, and answered a logout the first one's cache never saw.
// The first one serves on; once it stops, the folder may be used again.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runMain } from "./support/cli";
import { balanceMinor, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(() => system?.stop());

test("a second gateway and a second bank on a database a running one holds: exit 2 saying so; the first serves on", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  const data = join(system.dir, "data");
  const gateway = await runMain(["gateway", "--port", "0", "--data", data, "--certs", join(system.certsDir, "gateway"), "--bank", `hdfc=${system.bankAddresses.get("hdfc")}`]);
  expect({ exitCode: gateway.exitCode, stderr: gateway.stderr }).toEqual({ exitCode: 2, stderr: `ministripe gateway: another gateway is using ${join(data, "gateway.db")}: stop it first (two on one database file would answer against each other)\n` });
  const bank = await runMain(["bank", "--name", "hdfc", "--port", "0", "--data", data, "--accounts", system.accountsPath, "--certs", join(system.certsDir, "bank-hdfc")]);
  expect({ exitCode: bank.exitCode, stderr: bank.stderr }).toEqual({ exitCode: 2, stderr: `ministripe bank: another bank is using ${join(data, "bank-hdfc.db")}: stop it first (two on one database file would answer against each other)\n` });

  const total = system.totalMinor();
  expect((await pay(alice, "bob", 500)).payment.status).toBe("SUCCEEDED");
  expect(system.totalMinor()).toBe(total);
  // Stopped, the folder is free again: the same gateway starts on it.
  await system.restartGateway();
  expect(await balanceMinor(alice)).toBe(500_000n - 500n);
});
