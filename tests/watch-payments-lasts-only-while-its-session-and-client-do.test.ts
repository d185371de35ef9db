// Proves a WatchPayments stream lasts only while what opened it does: a logout ends it (no payment reaches it after), each user may hold a bounded number open, a payment reaches only its payer's and payee's streams, and a stream whose client vanished without a reset is closed by the gateway's own keepalive instead of held for ever.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { GatewayClient } from "../src/client/gateway-client";
import { limits } from "../src/lib/limits";
import { loadCertFolder } from "../src/rpc/credentials";
import { memoryLogger } from "./support/cli";
import { FaultProxy } from "./support/fault-proxy";
import { eventually, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(60_000);
const memory = memoryLogger();
let system: TestSystem;
let alice: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ banks: ["hdfc", "icici", "sbi"], log: memory.log });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
  await signUp(system, { username: "carol", bank: "sbi", account: "3001" });
});
afterAll(() => system?.stop());

/** A fresh session of `username` on its own client. */
async function session(username: string, address = system.gatewayAddress): Promise<GatewayClient> {
  const client = new GatewayClient(address, loadCertFolder(join(system.certsDir, `client-${username}`)), memory.log);
  client.token = (await client.call("Login", { username, password: `${username}-password` }, { retry: false })).token;
  return client;
}

function watch(client: GatewayClient): { received: string[]; ended: Promise<string> } {
  const received: string[] = [];
  const ended = new Promise<string>((resolve) => {
    client.stream("WatchPayments", {}, 60_000, { onMessage: (p) => received.push(p.id), onEnd: (error) => resolve(error ? (error as { code?: string }).code ?? "error" : "OK") });
  });
  return { received, ended };
}

test("a logout ends the session's streams: the next payment to that user does not reach them", async () => {
  const bob = await session("bob");
  const stream = watch(bob);
  await Bun.sleep(300);
  const first = await pay(alice, "bob", 100);
  expect(await eventually(() => stream.received.includes(first.payment.id))).toBe(true);
  await bob.call("Logout", {}, { retry: false });
  const second = await pay(alice, "bob", 100);
  expect(await stream.ended).toBe("UNAUTHENTICATED");
  expect(stream.received).not.toContain(second.payment.id);
});

test("each user holds a bounded number of streams; a payment reaches only its payer's and payee's", async () => {
  const carol = await session("carol");
  const streams = Array.from({ length: limits.watchStreamsPerUserMax }, () => watch(carol));
  const oneTooMany = watch(carol);
  expect(await oneTooMany.ended).toBe("RESOURCE_EXHAUSTED");
  const bob = await session("bob");
  const bobs = watch(bob);
  await Bun.sleep(300);
  const toBob = await pay(alice, "bob", 100);
  const toCarol = await pay(alice, "carol", 100);
  expect(await eventually(() => streams.every((s) => s.received.includes(toCarol.payment.id)) && bobs.received.includes(toBob.payment.id))).toBe(true);
  expect(streams.some((s) => s.received.includes(toBob.payment.id))).toBe(false);
  expect(bobs.received).not.toContain(toCarol.payment.id);
  carol.close();
  bob.close();
});

test("a stream whose client vanished without a reset is closed by the gateway's keepalive", async () => {
  const link = await FaultProxy.start(system.gatewayAddress);
  try {
    const bob = await session("bob", link.address);
    const stream = watch(bob);
    await Bun.sleep(300);
    const servedBefore = memory.lines.filter((line) => line.method === "WatchPayments" && line.event === "rpc.served").length;
    // The client's host is gone: nothing more arrives from it, and nothing closes its connection at the gateway.
    link.vanish();
    bob.close();
    void stream.ended;
    const waitMs = limits.serverKeepalivePingIntervalMs + limits.serverKeepalivePingTimeoutMs + 10_000;
    expect(await eventually(() => memory.lines.filter((line) => line.method === "WatchPayments" && line.event === "rpc.served").length > servedBefore, waitMs)).toBe(true);
  } finally {
    await link.stop();
  }
});
