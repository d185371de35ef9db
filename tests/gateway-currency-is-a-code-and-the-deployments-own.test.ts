// Proves the gateway's --currency is checked before it serves: not three
// capital letters is exit 2 naming the flag; one other than the currency of
// the payments its store holds is exit 2 (one currency per deployment: it
// started, and showed USD on INR payments); the right one starts.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runMain } from "./support/cli";
import { pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  expect((await pay(alice, "bob", 100)).payment.status).toBe("SUCCEEDED");
  await system.stopGateway();
});
afterAll(() => system?.stop());

function gatewayWith(currency: string) {
  const banks = [...system.bankAddresses].flatMap(([name, address]) => ["--bank", `${name}=${address}`]);
  return runMain(["gateway", "--port", "0", "--data", join(system.dir, "data"), "--certs", join(system.certsDir, "gateway"), ...banks, "--currency", currency]);
}

test("--currency that is not a three-letter code is exit 2 naming it", async () => {
  for (const currency of ["inr", "RUPEE", "IN"]) {
    const run = await gatewayWith(currency);
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 2, stderr: `ministripe gateway: --currency: "${currency}" is not a three-letter currency code such as INR\n` });
  }
});

test("--currency other than the deployment's payments' is exit 2, and nothing started", async () => {
  const run = await gatewayWith("USD");
  expect({ exitCode: run.exitCode, stderr: run.stderr, stdout: run.stdout }).toEqual({ exitCode: 2, stderr: "ministripe gateway: --currency USD: this deployment's payments are in INR (one currency per deployment)\n", stdout: "" });
  await system.startGateway();
  expect((await system.gateway.store.listAllPayments(undefined, 10)).map((payment) => payment.currency)).toEqual(["INR"]);
});
