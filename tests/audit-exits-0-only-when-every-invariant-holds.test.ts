// Proves SPEC's promise for `ministripe audit`: it exits 0 only when every
// invariant holds. Money appearing at a bank is reported (exit 1); a bank cut
// off during the audit is looked at again while it may come back, so a bank
// back within that wait audits clean, and one that stays away is reported
// unreachable (exit 4, SPEC's "a bank could not be reached", not 1, which is
// kept for something found wrong), its absence never read as money created or lost.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runMain } from "./support/cli";
import { pay, signUp, startSystem, tamperBank, type TestSystem } from "./support/system";

// audit looks again for up to 15 s while a bank is away: a bound against hangs, not a speed check.
setDefaultTimeout(60_000);

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ proxied: ["icici"] });
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await pay(alice, "bob", 2_500n);
});
afterAll(async () => {
  await system.stop();
});

const audit = () => runMain(["audit", "--gateway", system.gatewayAddress, "--certs", join(system.certsDir, "admin")]);

test("a bank cut off while audit runs and back within its wait: exit 0, clean", async () => {
  const proxy = system.proxies.get("icici")!;
  proxy.cut();
  const running = audit();
  await Bun.sleep(1_500);
  proxy.heal();
  const result = await running;
  expect(result.stdout).toEndWith("audit clean: every invariant holds\n");
  expect(result.exitCode).toBe(0);
});

test("a bank that stays away: reported unreachable, the audit incomplete, exit 4", async () => {
  const proxy = system.proxies.get("icici")!;
  proxy.cut();
  try {
    const result = await audit();
    expect(result.stdout).toContain("icici: UNREACHABLE");
    expect(result.stdout).toContain("VIOLATION: icici: unreachable, cannot be audited");
    // alice's payment left hdfc for icici: hdfc alone is short of what it loaded, which is no violation.
    expect(result.stdout).toContain("total not checked: icici could not be read");
    expect(result.stdout).not.toContain("differs from the total first loaded");
    expect(result.stdout).toEndWith("audit incomplete: icici could not be read, and the total is not checked without it; nothing else found wrong\n");
    expect(result.exitCode).toBe(4);
  } finally {
    proxy.heal();
  }
});

test("money that appeared at a bank: the total is reported against what was loaded, exit 1", async () => {
  tamperBank(system, "hdfc", "UPDATE accounts SET balance_minor = balance_minor + 1 WHERE number = ?", "1001");
  const result = await audit();
  expect(result.stdout).toMatch(/VIOLATION: total INR \d+\.\d\d differs from the total first loaded INR \d+\.\d\d\n/);
  expect(result.stdout).toEndWith("audit FAILED\n");
  expect(result.exitCode).toBe(1);
});
