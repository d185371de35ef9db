// Proves /metrics on the gateway and a bank (Prometheus text, parsed): the go-grpc-prometheus counters and histogram, payments by status and failure code, payment latency and batch sizes move with payments, declines and errors; a bank's open holds and in-doubt gauges count a payment held at its vote and fall back to 0 once it is decided; process CPU and resident memory are there, and no heap figure Bun's runtime cannot give; no label carries a user, key, token or amount.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { scrape, valueOf, type Sample } from "./support/prometheus";
import { eventually, failsWith, pay, signUp, startSystem, type TestSystem } from "./support/system";

setDefaultTimeout(30_000);
let system: TestSystem;
let alice: GatewayClient;

beforeAll(async () => {
  system = await startSystem({ metrics: true });
  alice = await signUp(system, { username: "alice", bank: "hdfc", account: "1001" });
  await signUp(system, { username: "bob", bank: "icici", account: "2001" });
});
afterAll(async () => {
  await system.stop();
});

const payLabels = { grpc_type: "unary", grpc_service: "ministripe.v1.Gateway", grpc_method: "Pay" };

async function both(): Promise<{ gateway: Sample[]; bank: Sample[] }> {
  const [gateway, bank] = await Promise.all([scrape(system.metricsUrls.get("gateway")!), scrape(system.metricsUrls.get("bank-hdfc")!)]);
  return { gateway, bank };
}

function delta(before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}): number {
  return valueOf(after, name, labels) - valueOf(before, name, labels);
}

test("payments, a decline and an invalid request move the counters and histograms on the gateway and the payer's bank", async () => {
  const before = await both();
  const keys = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  for (const key of keys.slice(0, 3)) expect((await pay(alice, "bob", 1234, key)).payment.status).toBe("SUCCEEDED");
  // Alice holds 5000.00: a decline is a FAILED payment, answered OK.
  const declined = await pay(alice, "bob", 9_000_000, keys[3]);
  expect(declined.payment.failure_code).toBe("insufficient_funds");
  await failsWith(pay(alice, "bob", 0), "INVALID_ARGUMENT");
  const after = await both();
  const g = (name: string, labels: Record<string, string> = {}) => delta(before.gateway, after.gateway, name, labels);
  const b = (name: string, labels: Record<string, string> = {}) => delta(before.bank, after.bank, name, labels);

  expect(g("grpc_server_started_total", payLabels)).toBe(5);
  expect(g("grpc_server_handled_total", { ...payLabels, grpc_code: "OK" })).toBe(4);
  expect(g("grpc_server_handled_total", { ...payLabels, grpc_code: "InvalidArgument" })).toBe(1);
  expect(g("grpc_server_handling_seconds_count", payLabels)).toBe(5);
  expect(g("grpc_server_handling_seconds_bucket", { ...payLabels, le: "+Inf" })).toBe(5);
  expect(g("grpc_server_handling_seconds_sum", payLabels)).toBeGreaterThan(0);

  expect(g("ministripe_payments_total", { status: "SUCCEEDED", failure_code: "" })).toBe(3);
  expect(g("ministripe_payments_total", { status: "FAILED", failure_code: "insufficient_funds" })).toBe(1);
  expect(g("ministripe_payment_duration_seconds_count", { status: "SUCCEEDED" })).toBe(3);
  expect(g("ministripe_payment_duration_seconds_count", { status: "FAILED" })).toBe(1);
  expect(g("ministripe_payment_duration_seconds_bucket", { status: "SUCCEEDED", le: "10" })).toBe(3);
  expect(g("ministripe_batch_size_count", { batch: "bank_exchange" })).toBeGreaterThanOrEqual(4);
  expect(g("ministripe_batch_size_count", { batch: "gateway_writes" })).toBeGreaterThanOrEqual(4);

  // The payer's bank: its Exchange calls, the transactions they were applied in, no hold left open.
  expect(b("grpc_server_handled_total", { grpc_type: "unary", grpc_service: "ministripe.v1.Bank", grpc_method: "Exchange", grpc_code: "OK" })).toBeGreaterThanOrEqual(4);
  expect(b("ministripe_batch_size_count", { batch: "bank_transaction" })).toBeGreaterThanOrEqual(4);
  expect(valueOf(after.bank, "ministripe_bank_open_holds")).toBe(0);
  expect(after.bank.some((s) => s.name === "ministripe_bank_in_doubt_transactions")).toBe(true);

  for (const samples of [after.gateway, after.bank]) {
    expect(valueOf(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(valueOf(samples, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // Not the figures Bun's runtime cannot give (V8's heap): no series that says a "heap" of gigabytes, or used above total.
    expect(samples.filter((s) => /heap/.test(s.name)).map((s) => s.name)).toEqual([]);
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    for (const secret of ["alice", "bob", alice.token!, ...keys, "1234", "12.34", "9000000"]) expect(labelValues).not.toContain(secret);
    expect(labelValues.join(" ")).not.toMatch(/alice|bob/);
  }
});

test("a refused call is counted with its code, and only /metrics is served", async () => {
  const before = await scrape(system.metricsUrls.get("gateway")!);
  const anonymous = system.client("client-bob");
  await failsWith(anonymous.call("GetBalance", {}, { retry: false }), "UNAUTHENTICATED");
  const after = await scrape(system.metricsUrls.get("gateway")!);
  expect(delta(before, after, "grpc_server_handled_total", { grpc_method: "GetBalance", grpc_code: "Unauthenticated" })).toBe(1);
  const other = await fetch(system.metricsUrls.get("gateway")!.replace("/metrics", "/"));
  expect(other.status).toBe(404);
});

test("a payment held at the payer bank's vote shows as an open hold, then in doubt, and as neither once decided", async () => {
  // The payee bank's link is held: hdfc votes yes and waits; the gateway waits up to 20 s for icici's vote.
  const held = await startSystem({ banks: ["hdfc", "icici"], proxied: ["icici"], prepareTimeoutMs: 20_000, inDoubtAfterMs: 500, metrics: true });
  try {
    const payer = await signUp(held, { username: "alice", bank: "hdfc", account: "1001" });
    await signUp(held, { username: "bob", bank: "icici", account: "2001" });
    const hdfc = held.metricsUrls.get("bank-hdfc")!;
    const gauges = async () => {
      const samples = await scrape(hdfc);
      return { holds: valueOf(samples, "ministripe_bank_open_holds"), inDoubt: valueOf(samples, "ministripe_bank_in_doubt_transactions") };
    };
    expect(await gauges()).toEqual({ holds: 0, inDoubt: 0 });
    const proxy = held.proxies.get("icici")!;
    proxy.hold();
    const paid = pay(payer, "bob", 4_321n);
    // Its outcome is read below, after the heal; a failure meanwhile must not end the test before the cleanup.
    paid.catch(() => undefined);
    try {
      // Within the Pay call's own 10 s deadline.
      expect(await eventually(async () => (await gauges()).holds === 1, 4_000)).toBe(true);
      // Older than hdfc's in-doubt interval, still undecided (the coordinator tells hdfc to wait for the vote).
      expect(await eventually(async () => (await gauges()).inDoubt === 1, 4_000)).toBe(true);
      expect((await gauges()).holds).toBe(1);
    } finally {
      proxy.heal();
    }
    expect((await paid).payment.status).toBe("SUCCEEDED");
    expect(await eventually(async () => (await gauges()).holds === 0 && (await gauges()).inDoubt === 0)).toBe(true);
    expect(held.banks.get("hdfc")!.store.getAccount("1001")!.balanceMinor).toBe(500_000n - 4_321n);
  } finally {
    await held.stop();
  }
});
