// Proves SPEC's one currency per deployment is checked, not assumed: a gateway paying in USD in front of banks keeping INR registers no account there (FAILED_PRECONDITION, nothing stored), so no payment can move one currency at one bank and another at the other, and its audit names each bank that keeps another currency as a violation.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { failsWith, startSystem, accountPinOf, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"], gatewayCurrency: "USD" });
});
afterAll(async () => {
  await system.stop();
});

test("an account at a bank of another currency is not registered, and the audit names the banks", async () => {
  const refused = await failsWith(
    system.client("client-alice").call("Register", { username: "alice", password: "alice-password", bank: "hdfc", account: "1001", account_pin: accountPinOf(system, "hdfc", "1001") }, { retry: false }),
    "FAILED_PRECONDITION",
  );
  expect(refused.message).toBe("bank hdfc keeps INR, and this gateway pays in USD: one currency per deployment (the operator's to fix)");
  expect(await system.gateway.store.getUser("alice")).toBeUndefined();

  const report = await system.client("admin").callAdmin("Audit", {}, { retry: false });
  expect(report.ok).toBe(false);
  expect(report.currency).toBe("USD");
  expect(report.violations).toEqual(expect.arrayContaining(["hdfc: keeps INR, where the deployment's currency is USD", "icici: keeps INR, where the deployment's currency is USD"]));
});
