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

/** Pays until `stream` has one of those payments: the stream is then live at the gateway (a bound, not a wait for time); that payment's id. */
async function untilLive(stream: { received: string[] }, to: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { payment } = await pay(alice, to, 100);
    if (await eventually(() => stream.received.includes(payment.id), 1_000)) return payment.id;
  }
  throw new Error("the stream never received a payment");
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
  await untilLive(stream, "bob");
  await bob.call("Logout", {}, { retry: false });
  const second = await pay(alice, "bob", 100);
  expect(await stream.ended).toBe("UNAUTHENTICATED");
  expect(stream.received).not.toContain(second.payment.id);
});

test("each user holds a bounded number of streams; a payment reaches only its payer's and payee's", async () => {
  const carol = await session("carol");
  const opened = Array.from({ length: limits.watchStreamsPerUserMax + 1 }, () => watch(carol));
  // One of them is refused: the others were admitted before it, so they are live.
  const refused = await Promise.race(opened.map((stream, i) => stream.ended.then((code) => ({ i, code }))));
  expect(refused.code).toBe("RESOURCE_EXHAUSTED");
  const streams = opened.filter((_, i) => i !== refused.i);
  const bob = await session("bob");
  const bobs = watch(bob);
  await untilLive(bobs, "bob");
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
    await untilLive(stream, "bob");
    // The client's host is gone: nothing more arrives from it, and nothing closes its connection at the gateway.
    link.vanish();
    bob.close();
    void stream.ended;
    // This stream's request id, from the client's own line once its side gave up; then the gateway's line ending it.
    const calledHere = (line: Record<string, unknown>) => line.event === "rpc.called" && line.method === "WatchPayments" && line.peer === link.address;
    expect(await eventually(() => memory.lines.some(calledHere), 20_000)).toBe(true);
    const requestId = memory.lines.find(calledHere)!.request_id;
    const waitMs = limits.serverKeepalivePingIntervalMs + limits.serverKeepalivePingTimeoutMs + 10_000;
    expect(await eventually(() => memory.lines.some((line) => line.event === "rpc.served" && line.request_id === requestId), waitMs)).toBe(true);
  } finally {
    await link.stop();
  }
});
