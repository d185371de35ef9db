// Proves a call whose caller stopped waiting (its deadline passed while the
// gateway waited for a hung bank) still ends once in the server's metrics and
// log: grpc_server_handled_total counts it (DEADLINE_EXCEEDED), so started
// minus handled (calls in flight) falls back to 0, and its log line is
// written; the handler's own late answer is not counted a second time.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { limits } from "../src/lib/limits";
import { scrape, valueOf } from "./support/prometheus";
import { eventually, failsWith, memoryLog, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
const gatewayLog = memoryLog("gateway", "gateway");
let system: TestSystem;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc"], proxied: ["hdfc"], metrics: true, log: gatewayLog.log });
});
afterAll(() => system?.stop());

const balanceLabels = { grpc_type: "unary", grpc_service: "ministripe.v1.Gateway", grpc_method: "GetBalance" };

test("a balance its caller stopped waiting for is handled once, as DEADLINE_EXCEEDED, and logged", async () => {
  const alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  const metricsUrl = system.metricsUrls.get("gateway")!;
  const started = async () => valueOf(await scrape(metricsUrl), "grpc_server_started_total", balanceLabels);
  const handled = async () => valueOf(await scrape(metricsUrl), "grpc_server_handled_total", { ...balanceLabels, grpc_code: "DeadlineExceeded" });
  const [startedBefore, handledBefore] = [await started(), await handled()];

  system.proxies.get("hdfc")!.hold();
  await failsWith(alice.call("GetBalance", {}, { retry: false, deadlineMs: 300 }), "DEADLINE_EXCEEDED");
  expect(await started()).toBe(startedBefore + 1);
  expect(await eventually(async () => (await handled()) === handledBefore + 1)).toBe(true);
  // The handler answers later (the bank read gives up): still one end, one line.
  await Bun.sleep(limits.bankReadDeadlineMs + 500);
  expect(await handled()).toBe(handledBefore + 1);
  const lines = gatewayLog.lines().filter((line) => line.event === "rpc.served" && line.method === "GetBalance" && line.code !== "OK");
  expect(lines.map((line) => line.code)).toEqual(["DEADLINE_EXCEEDED"]);
  system.proxies.get("hdfc")!.heal();
});
