// Proves the gateway's standard health service reports its own services and,
// as "bank:NAME", whether it can reach each bank: a stopped bank turns NOT_SERVING.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { sleepMs } from "../src/lib/clock";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { loadCertFolder } from "../src/rpc/credentials";
import { failsWith, signUp, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(async () => {
  await system.stop();
});

test("health: SERVING for the gateway, per-bank reachability, NOT_FOUND for unknown names", async () => {
  const health = connect("Health", system.gatewayAddress, { certs: loadCertFolder(join(system.certsDir, "admin")), expect: { role: "gateway", name: "gateway" } });
  const check = async (service: string) => (await unaryCall<unknown, { status: string }>(health, "Check", { service }, { deadlineMs: 3_000 })).status;
  await signUp(system, { username: "alice", bank: "hdfc", account: "1001" }); // the gateway has now dialled hdfc
  expect(await check("")).toBe("SERVING");
  expect(await check("ministripe.v1.Gateway")).toBe("SERVING");
  expect(await check("bank:hdfc")).toBe("SERVING");
  await failsWith(check("bank:nosuchbank"), "NOT_FOUND");
  await failsWith(check("ministripe.v1.Nothing"), "NOT_FOUND");

  await system.banks.get("hdfc")!.stop();
  let status = await check("bank:hdfc");
  for (let i = 0; i < 100 && status === "SERVING"; i++) {
    await sleepMs(50);
    status = await check("bank:hdfc");
  }
  expect(status).toBe("NOT_SERVING");
  await system.restartBank("hdfc");
  health.close();
});
