// Proves the client tells "the gateway answered: a bank is away" from "the
// gateway is away" by the reason the gateway's error carries (a trailer), not
// by its message text: a bank down is said in the gateway's own words and not
// retried as if the gateway were down; a gateway down still reads "cannot
// reach the gateway"; one that accepts and never answers says the deadline
// was each try's, not the whole wait's.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { Code, Reason } from "../src/lib/errors";
import { silentLogger } from "../src/lib/log";
import { loadCertFolder } from "../src/rpc/credentials";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
});
afterAll(async () => {
  await system.stop();
});

test("a bank down: UNAVAILABLE with the gateway's words and the bank-unreachable reason, not 'cannot reach the gateway'", async () => {
  const bob = await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await system.banks.get("icici")!.stop();
  const error = await failsWith(bob.call("GetBalance", {}, { retry: true }), Code.Unavailable);
  expect(error.message).toBe("bank icici is unreachable; try again shortly");
  expect((error as unknown as { reason?: string }).reason).toBe(Reason.BankUnreachable);
}, 30_000);

test("the gateway down: 'cannot reach the gateway', with no reason", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await system.stopGateway();
  try {
    const error = await failsWith(alice.call("GetBalance", {}, { retry: true, attemptsMax: 2, deadlineMs: 1_000 }), Code.Unavailable);
    expect(error.message).toStartWith(`cannot reach the gateway at ${system.gatewayAddress} (`);
    expect((error as unknown as { reason?: string }).reason).toBeUndefined();
  } finally {
    await system.startGateway();
  }
}, 30_000);

test("a gateway that accepts and never answers: the deadline is said to be each try's", async () => {
  const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const client = new GatewayClient(`127.0.0.1:${silent.port}`, loadCertFolder(join(system.certsDir, "admin")), silentLogger);
  try {
    const error = await failsWith(client.call("GetBalance", {}, { retry: true, attemptsMax: 3, deadlineMs: 300 }), Code.DeadlineExceeded);
    expect(error.message).toBe(`cannot reach the gateway at 127.0.0.1:${silent.port} (no answer within 0.3s at each of 3 tries)`);
  } finally {
    client.close();
    silent.stop(true);
  }
}, 30_000);
