// Proves the gateway's log says why a bank is not serving, in the operator's words, and again when the reason changes: a --bank address that leads to another bank is named by that bank's certificate (it logged only "NOT_SERVING"), a bank that cannot be reached says so, and a bank back is SERVING again.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { until } from "./support/cli";
import { startProcessSystem, type ProcessSystem } from "./support/processes";

setDefaultTimeout(60_000);
let system: ProcessSystem;
beforeAll(async () => {
  system = await startProcessSystem({ proxied: ["hdfc"] });
});
afterAll(async () => {
  await system.stop();
});

function hdfcHealthLines(): { status: string; why?: string; msg: string }[] {
  const lines = readFileSync(join(system.cluster.logsDir, "gateway.log"), "utf8").split("\n").filter(Boolean);
  return lines.map((line) => JSON.parse(line)).filter((line) => line.event === "bank.health" && line.bank === "hdfc");
}

test("hdfc's route led to icici, then nowhere, then back to hdfc: each change logged with its reason", async () => {
  const link = system.proxies.get("hdfc")!;
  await until("hdfc serving", () => hdfcHealthLines().at(-1)?.status === "SERVING");
  const hdfcAddress = link.target!;

  link.target = system.cluster.bankAddresses.get("icici")!;
  link.cut();
  link.heal();
  const misrouted = await until("hdfc's probe reaching icici", () => hdfcHealthLines().find((line) => line.why?.includes("bank-icici")));
  expect(misrouted).toMatchObject({ status: "NOT_SERVING", why: "the server there is bank-icici, by its certificate" });
  expect(misrouted.msg).toBe("bank hdfc NOT_SERVING: the server there is bank-icici, by its certificate");

  link.cut();
  const away = await until("hdfc unreachable", () => hdfcHealthLines().at(-1)?.why?.includes("bank-icici") === false && hdfcHealthLines().at(-1));
  expect(away.status).toBe("NOT_SERVING");
  expect(away.why).not.toMatch(/ECONN|Error|grpc/);

  link.target = hdfcAddress;
  link.heal();
  expect(await until("hdfc serving again", () => hdfcHealthLines().at(-1)?.status === "SERVING")).toBe(true);
});
