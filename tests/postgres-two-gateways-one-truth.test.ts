// Proves two gateway processes on one PostgreSQL database keep one truth: one key sent to both at once moves money once (every answer names the same payment), a logout on one is refused on the other at once, and failed logins count across both (a lockout reached half on each).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { userPolicy } from "../src/gateway/login-throttle";
import { auditUntilClean, balanceOf, processAccountPin, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";
import { sharedPostgres } from "./support/postgres";
import { failsWith } from "./support/system";

setDefaultTimeout(60_000);
let system: ProcessSystem;
let g1: string;
let g2: string;

beforeAll(async () => {
  const pg = await sharedPostgres();
  system = await startProcessSystem({ gateways: 2, database: await pg.createDatabase(), clients: ["alice", "bob", "mallory"], gatewayArgs: ["--takeover-after", "2s"] });
  [g1, g2] = system.cluster.gatewayAddresses as [string, string];
});
afterAll(async () => {
  await system?.stop();
});

/** Registers on `registerAt` and logs in there; the returned clients (one per gateway) share the session. */
async function signUp(username: string, bank: string, account: string): Promise<[GatewayClient, GatewayClient]> {
  const one = system.clientAt(g1, `client-${username}`);
  const two = system.clientAt(g2, `client-${username}`);
  const password = `${username}-password`;
  await one.call("Register", { username, password, bank, account, account_pin: processAccountPin(system, bank, account) }, { retry: true });
  // Logged in on the other gateway: the user exists for both.
  const session = await two.call("Login", { username, password }, { retry: true });
  one.token = two.token = session.token;
  return [one, two];
}

let alice: [GatewayClient, GatewayClient];
let bob: [GatewayClient, GatewayClient];

test("one key sent to both gateways at once moves the money once", async () => {
  alice = await signUp("alice", "hdfc", "1001");
  bob = await signUp("bob", "icici", "2001");
  const keys = Array.from({ length: 12 }, () => crypto.randomUUID());
  const pay = async (client: GatewayClient, key: string): Promise<{ id: string; status: string }> => {
    // ABORTED: the key's first request is still running (on the other gateway); asked again until it has an outcome.
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const reply = await client.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "1000", note: "" }, { retry: false });
        if (reply.payment!.status !== "PENDING") return reply.payment!;
      } catch (error) {
        if ((error as { code?: string }).code !== "ABORTED") throw error;
      }
      await Bun.sleep(100);
    }
    throw new Error("no outcome");
  };
  const replies = await Promise.all(keys.flatMap((key) => [pay(alice[0], key), pay(alice[1], key)]));
  for (let i = 0; i < keys.length; i++) expect(replies[2 * i + 1]).toEqual(replies[2 * i]!); // one payment, one outcome
  // Under load a payment may time out (FAILED, nothing moved); each SUCCEEDED key moved the money once.
  const succeeded = BigInt(keys.filter((_, i) => replies[2 * i]!.status === "SUCCEEDED").length);
  expect(succeeded).toBeGreaterThan(0n);
  expect(await balanceOf(alice[1])).toBe(500_000n - 1_000n * succeeded);
  expect(await balanceOf(bob[0])).toBe(120_000n + 1_000n * succeeded);
  const report = await auditUntilClean(system);
  expect(report.violations).toEqual([]);
  expect(BigInt(report.total_minor)).toBe(twoBankTotalMinor);
  expect(report.payments_succeeded).toBe(Number(succeeded));
});

test("a logout on one gateway is refused on the other at once", async () => {
  expect(await balanceOf(bob[1])).toBeGreaterThan(0n);
  await bob[0].call("Logout", {}, { retry: false });
  const refused = await failsWith(bob[1].call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  expect(refused.message).toContain("session was ended");
});

test("failed logins count across both gateways: a lockout reached half on each refuses the right password on either", async () => {
  const one = system.clientAt(g1, "client-mallory");
  const two = system.clientAt(g2, "client-mallory");
  const guesses = Array.from({ length: userPolicy.failuresBeforeLockout }, (_, i) =>
    failsWith((i % 2 === 0 ? one : two).call("Login", { username: "alice", password: `guess-${i}-password` }, { retry: false }), "UNAUTHENTICATED"),
  );
  await Promise.all(guesses); // sent in parallel, half to each gateway
  for (const client of [one, two]) {
    const error = await failsWith(client.call("Login", { username: "alice", password: "alice-password" }, { retry: false }), "RESOURCE_EXHAUSTED");
    expect(error.message).toContain("too many failed logins");
  }
});

test("a client given both gateways spreads its calls and fails over: with one gateway killed, its payment (same key) and reads go to the other", async () => {
  const both = system.clientAt(`${g1},${g2}`, "client-alice");
  both.token = alice[0].token; // her session, opened before the lockout, holds on every gateway
  const before = await balanceOf(both);
  await system.cluster.kill("gateway-1");
  const key = crypto.randomUUID();
  const paid = [];
  // Several calls: whichever gateway each starts at, the dead one is passed over for the live one.
  for (let i = 0; i < 4; i++) paid.push(await both.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "500", note: "" }, { retry: true }));
  expect(new Set(paid.map((reply) => reply.payment!.id)).size).toBe(1);
  const moved = paid[0]!.payment!.status === "SUCCEEDED" ? 500n : 0n;
  expect(await balanceOf(both)).toBe(before - moved);
});
