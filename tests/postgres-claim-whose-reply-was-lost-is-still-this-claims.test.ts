// Proves a statement the gateway re-sends after the database connection dropped with its reply (PostgreSQL) ends as the first one did: a refund's claim finds its own row and runs (reserved once); a payment's claim whose row another gateway meanwhile presumed aborted is that abort, never a decided row handed back to run; a refund's abort is read back and releases its reservation once.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import { PostgresGatewayStore } from "../src/store/gateway-postgres";
import { paymentRows, userRow } from "./support/gateway-rows";
import { sharedPostgres } from "./support/postgres";

setDefaultTimeout(60_000);

/**
 * Forwards to PostgreSQL. Armed with a marker, it passes the first client
 * message holding it, then loses every reply on that connection until the
 * test resets it: the statement runs, its answer never arrives.
 */
class ReplyLosingProxy {
  private marker: string | undefined;
  private victim: { client: Socket; upstream: Socket } | undefined;
  private readonly server: Server;
  port = 0;
  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.accept(client));
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }
  loseReplyTo(marker: string): void {
    this.marker = marker;
  }
  get armedHit(): boolean {
    return this.victim !== undefined;
  }
  /** The lost connection reset, as a database restart or a network cut would. */
  resetVictim(): void {
    this.victim?.client.resetAndDestroy();
    this.victim?.upstream.destroy();
    this.victim = undefined;
  }
  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    let losing = false;
    client.on("data", (chunk: Buffer) => {
      if (this.marker !== undefined && chunk.includes(this.marker)) {
        this.marker = undefined;
        losing = true;
        this.victim = { client, upstream };
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!losing) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  }
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let direct: PostgresGatewayStore;
let viaProxy: PostgresGatewayStore;
let proxy: ReplyLosingProxy;

const payment = paymentRows((n) => `lost${String(n).padStart(4, "0")}`);

beforeAll(async () => {
  const url = await (await sharedPostgres()).createDatabase();
  direct = await PostgresGatewayStore.open({ url }, "g2");
  await direct.insertUser(userRow("alice", "hdfc", "1001"));
  await direct.insertUser(userRow("bob", "icici", "2001"));
  const target = new URL(url);
  proxy = new ReplyLosingProxy(Number(target.port));
  await proxy.start();
  target.port = String(proxy.port);
  viaProxy = await PostgresGatewayStore.open({ url: target.toString() }, "g1");
});
afterAll(async () => {
  await viaProxy?.close();
  await direct?.close();
  await proxy?.stop();
});

/** Waits until `seen` holds (read over the direct connection), then resets the connection whose reply was lost. */
async function thenReset(seen: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(proxy.armedHit && (await seen())); i++) await Bun.sleep(25);
  expect(proxy.armedHit).toBe(true);
  expect(await seen()).toBe(true);
  proxy.resetVictim();
}

test("a refund's claim committed with its reply lost: the retry finds its own row, claimed (and reserved once), so it runs", async () => {
  const original = payment({ amountMinor: 1_000n });
  await direct.claim(original);
  await direct.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 3_000 });
  const row = payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor: 400n });

  proxy.loseReplyTo("COMMIT");
  const claiming = viaProxy.claimRefund({ row, refundOf: original.id, allRemaining: false });
  await thenReset(async () => (await direct.getPayment(row.id)) !== undefined);
  const result = await claiming;

  expect(result.kind).toBe("claimed");
  expect(result.kind === "claimed" && result.row).toMatchObject({ id: row.id, decision: null, refundOf: original.id, amountMinor: 400n });
  expect((await direct.getPayment(original.id))?.refundReservedMinor).toBe(400n);
});

test("a payment's claim committed with its reply lost, then presumed aborted by another gateway: the retry gets that abort, not a claim to run", async () => {
  const row = payment();
  // The statement's parameters (its Bind and Execute) carry the id; its Parse does not.
  proxy.loseReplyTo(row.id);
  const claiming = viaProxy.claim(row);
  await thenReset(async () => (await direct.getPayment(row.id)) !== undefined);
  // Meanwhile (this gateway silent too long) another adopted the payment and presumed it aborted.
  await direct.decide({ id: row.id, decision: "ABORT", failureCode: "prepare_timeout", failureMessage: "its gateway stopped before every bank voted; nothing moved", decidedAtMs: 4_000 });
  const result = await claiming;

  expect(result.row).toMatchObject({ id: row.id, decision: "ABORT" });
  // A decided row is never handed back as a claim to execute (the coordinator would run it again).
  expect(result.claimed).toBe(false);
});

test("a refund's abort committed with its reply lost: the retry reads the decision back and the reservation is released once", async () => {
  const original = payment({ amountMinor: 1_000n });
  await direct.claim(original);
  await direct.decide({ id: original.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 5_000 });
  const claims = [];
  for (const amountMinor of [300n, 200n]) {
    const row = payment({ payer: "bob", payee: "alice", payerBank: "icici", payerAccount: "2001", payeeBank: "hdfc", payeeAccount: "1001", amountMinor });
    claims.push(await direct.claimRefund({ row, refundOf: original.id, allRemaining: false }));
  }
  const [first, second] = claims.map((claim) => (claim.kind === "claimed" ? claim.row : undefined)!);
  expect((await direct.getPayment(original.id))?.refundReservedMinor).toBe(500n);

  proxy.loseReplyTo("COMMIT");
  const deciding = viaProxy.decide({ id: first!.id, decision: "ABORT", failureCode: "insufficient_funds", failureMessage: "low", decidedAtMs: 6_000 }, first);
  await thenReset(async () => (await direct.getPayment(first!.id))?.decision === "ABORT");
  expect(await deciding).toMatchObject({ id: first!.id, decision: "ABORT", failureCode: "insufficient_funds" });
  // 300 given back once: the other refund's 200 is still reserved.
  expect((await direct.getPayment(original.id))?.refundReservedMinor).toBe(200n);
  expect(await direct.refundViolations(10)).toEqual([]);
  await direct.decide({ id: second!.id, decision: "COMMIT", failureCode: null, failureMessage: null, decidedAtMs: 6_100 });
  expect((await direct.getPayment(original.id))?.refundReservedMinor).toBe(200n);
});
