// Proves that a long-lived client (the shell, the dashboards, the queue's
// sender) given several gateways does not wait out a silent one's connect
// bound on every other call: after one try could not reach it, later calls go
// to the gateway that answers first, and every call still succeeds.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { loadCertFolder } from "../src/rpc/credentials";
import { FaultProxy } from "./support/fault-proxy";
import { memoryLog, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
let system: TestSystem;
let silent: FaultProxy;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"] });
  // A gateway whose host is gone: the connection opens, and no byte ever comes back.
  silent = await FaultProxy.start(system.gatewayAddress);
  silent.lose();
});
afterAll(async () => {
  await silent?.stop();
  await system?.stop();
});

test("after one try at a silent gateway, the calls that follow go to the live one", async () => {
  const signedUp = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const memory = memoryLog("client", "alice");
  const client = new GatewayClient(`${silent.address},${system.gatewayAddress}`, loadCertFolder(join(system.certsDir, "client-alice")), memory.log);
  client.token = signedUp.token;
  try {
    const callsMade = 6;
    for (let call = 0; call < callsMade; call++) {
      const balance = await client.call("GetBalance", {}, { retry: false, failover: true });
      expect(balance.balance_minor).toBe("500000");
    }
    const triesAt = (address: string) => memory.lines().filter((line) => line.event === "rpc.called" && line.peer === address).length;
    expect(triesAt(system.gatewayAddress)).toBe(callsMade);
    // In turn, every other call would start at the silent gateway (three tries); tried last, at most the first does.
    expect(triesAt(silent.address)).toBeLessThanOrEqual(1);
  } finally {
    client.close();
  }
});
