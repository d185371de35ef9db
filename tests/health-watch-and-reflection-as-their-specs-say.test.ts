// Proves health and reflection behave as their specs say: "bank:NAME" is SERVING before anyone used that bank (the gateway probes at start and periodically); Health/Watch keeps its stream open and sends each change (a bank stopped, then back); reflection lists only the services the server serves (no Bank on the gateway; no Gateway, Admin or Coordinator on a bank); a bank's Health and reflection refuse a client certificate alike and answer the admin's; and one certificate cannot hold every Health/Watch place of a server.
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { join } from "node:path";
import { connect } from "../src/rpc/channel";
import { unaryCall } from "./support/loose-call";
import { channelCredentials, loadCertFolder } from "../src/rpc/credentials";
import { serverNameOf, type Identity } from "../src/rpc/identity";
import { limits } from "../src/lib/limits";
import { eventually, failsWith, startSystem, type TestSystem } from "./support/system";

let system: TestSystem;
const opened: grpc.Client[] = [];
const gateway: Identity = { role: "gateway", name: "gateway" };
const hdfc: Identity = { role: "bank", name: "hdfc" };

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici"] });
}, 30_000);
afterAll(async () => {
  for (const client of opened) client.close();
  await system.stop();
});

function healthAt(address: string, certFolder: string, expect: Identity): grpc.Client {
  const client = connect("Health", address, { certs: loadCertFolder(join(system.certsDir, certFolder)), expect });
  opened.push(client);
  return client;
}

const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto");
const Reflection = (grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as any).grpc.reflection.v1alpha.ServerReflection as grpc.ServiceClientConstructor;

/** The services a server lists through reflection, as grpcurl's `list` asks; rejects with the refusal's code. */
function listServices(address: string, certFolder: string, expect: Identity): Promise<string[]> {
  const name = serverNameOf(expect);
  const client = new Reflection(address, channelCredentials(loadCertFolder(join(system.certsDir, certFolder))), { "grpc.ssl_target_name_override": name, "grpc.default_authority": name });
  opened.push(client);
  return new Promise((resolve, reject) => {
    const call = (client as any).ServerReflectionInfo({ deadline: Date.now() + 5_000 });
    call.on("data", (reply: any) => {
      resolve((reply.list_services_response?.service ?? []).map((s: { name: string }) => s.name).sort());
      call.end();
    });
    call.on("error", (error: grpc.ServiceError) => reject(Object.assign(new Error(error.details), { code: grpc.status[error.code] })));
    call.write({ list_services: "" });
  });
}

const check = async (client: grpc.Client, service: string) => (await unaryCall<unknown, { status: string }>(client, "Check", { service }, { deadlineMs: 3_000 })).status;

test("bank:NAME is SERVING before anyone has used that bank: the gateway probes every bank from its start", async () => {
  const health = healthAt(system.gatewayAddress, "admin", gateway);
  // Nobody has registered, logged in or paid: the gateway has no reason of its own to call icici.
  let status = "";
  for (let i = 0; i < 100 && status !== "SERVING"; i++) {
    status = await check(health, "bank:icici");
    if (status !== "SERVING") await Bun.sleep(50);
  }
  expect(status).toBe("SERVING");
});

test("Health/Watch keeps the stream open and sends each change: a bank stopped, then back", async () => {
  const health = healthAt(system.gatewayAddress, "admin", gateway);
  const statuses: string[] = [];
  let ended = false;
  const call = (health as any).Watch({ service: "bank:hdfc" }, new grpc.Metadata(), { deadline: Date.now() + 60_000 });
  call.on("data", (reply: { status: string }) => statuses.push(reply.status));
  call.on("end", () => (ended = true));
  call.on("error", () => (ended = true));
  expect(await eventually(() => statuses.at(-1) === "SERVING")).toBe(true);

  await system.banks.get("hdfc")!.stop();
  expect(await eventually(() => statuses.at(-1) === "NOT_SERVING")).toBe(true);
  await system.restartBank("hdfc");
  expect(await eventually(() => statuses.at(-1) === "SERVING")).toBe(true);
  expect(ended).toBe(false); // one stream saw all of it
  // Only changes are sent, never the same status twice in a row.
  expect(statuses.every((status, i) => i === 0 || status !== statuses[i - 1])).toBe(true);
  call.cancel();
}, 30_000);

test("one certificate holds at most its share of Health/Watch streams; another certificate still gets one", async () => {
  const watchOn = (client: grpc.Client) => {
    const statuses: string[] = [];
    const ended = new Promise<string>((resolve) => {
      const call = (client as any).Watch({ service: "" }, new grpc.Metadata(), { deadline: Date.now() + 30_000 });
      call.on("data", (reply: { status: string }) => statuses.push(reply.status));
      call.on("error", (error: { code: number }) => resolve(grpc.status[error.code]!));
      call.on("end", () => resolve("OK"));
      opened.push({ close: () => call.cancel() } as unknown as grpc.Client);
    });
    return { statuses, ended };
  };
  const alice = healthAt(system.gatewayAddress, "client-alice", gateway);
  const alices = Array.from({ length: limits.healthWatchesPerPeerMax }, () => watchOn(alice));
  expect(await eventually(() => alices.every((watch) => watch.statuses.length > 0))).toBe(true);
  expect(await watchOn(alice).ended).toBe("RESOURCE_EXHAUSTED");
  const bobs = watchOn(healthAt(system.gatewayAddress, "client-bob", gateway));
  expect(await eventually(() => bobs.statuses.at(-1) === "SERVING")).toBe(true);
});

test("reflection lists only the services each server serves", async () => {
  expect(await listServices(system.gatewayAddress, "admin", gateway)).toEqual(["grpc.health.v1.Health", "ministripe.v1.Admin", "ministripe.v1.Coordinator", "ministripe.v1.Gateway"]);
  expect(await listServices(system.bankAddresses.get("hdfc")!, "admin", hdfc)).toEqual(["grpc.health.v1.Health", "ministripe.v1.Bank"]);
});

test("a bank's Health and reflection apply one certificate rule: a client's is refused by both, the admin's answered by both", async () => {
  const bankAddress = system.bankAddresses.get("hdfc")!;
  await failsWith(check(healthAt(bankAddress, "client-alice", hdfc), ""), "PERMISSION_DENIED");
  await expect(listServices(bankAddress, "client-alice", hdfc)).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
  expect(await check(healthAt(bankAddress, "admin", hdfc), "")).toBe("SERVING");
  expect(await listServices(bankAddress, "admin", hdfc)).toContain("ministripe.v1.Bank");
});
