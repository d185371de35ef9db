// Proves refunds with several gateways on one PostgreSQL database: a gateway
// SIGKILLed after a refund's votes, before its decision, is taken over by
// another within --takeover-after; that gateway's presumed abort voids the
// holds and releases the refund's reservation (the whole payment is
// refundable again, through the survivor), and the audit is clean.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, spawnListening } from "../src/local-cluster/cluster";
import { GatewayClient } from "../src/client/gateway-client";
import type { AuditReport } from "../src/gateway/audit";
import { sleepMs } from "../src/lib/clock";
import { silentLogger } from "../src/lib/log";
import { loadCertFolder } from "../src/rpc/credentials";
import { sharedPostgres } from "./support/postgres";
import { balanceOf, signUpProcess, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";

setDefaultTimeout(120_000);
let system: ProcessSystem | undefined;
let survivor: Subprocess | undefined;
const opened: GatewayClient[] = [];
afterAll(async () => {
  for (const client of opened) client.close();
  survivor?.kill("SIGTERM");
  await survivor?.exited;
  await system?.stop();
});

test("a gateway killed between a refund's votes and its decision: another gateway aborts it and releases the reservation", async () => {
  const url = await (await sharedPostgres()).createDatabase();
  const shared = ["--database", url, "--takeover-after", "2s"];
  system = await startProcessSystem({ gatewayArgs: [...shared, "--name", "g1"] });
  const { cluster } = system;
  // A second gateway on the same database, the same banks and certificate.
  const port = await freePort();
  const banks = [...cluster.bankAddresses].flatMap(([bank, address]) => ["--bank", `${bank}=${address}`]);
  survivor = await spawnListening(
    ["gateway", "--port", String(port), "--data", join(system.dir, "data-g2"), "--certs", join(cluster.certsDir, "gateway"), "--prepare-timeout", "1s", ...banks, ...shared, "--name", "g2"],
    join(cluster.logsDir, "gateway-g2.stderr"),
  );
  const onSurvivor = (certFolder: string, token?: string) => {
    const client = new GatewayClient(`127.0.0.1:${port}`, loadCertFolder(join(cluster.certsDir, certFolder)), silentLogger);
    client.token = token;
    opened.push(client);
    return client;
  };

  const alice = await signUpProcess(system, "alice", "hdfc", "1001");
  const bob = await signUpProcess(system, "bob", "icici", "2001");
  const paid = await alice.call("Pay", { idempotency_key: crypto.randomUUID(), to_username: "bob", amount_minor: "25000", note: "" }, { retry: false });
  expect(paid.payment!.status).toBe("SUCCEEDED");
  // g1 armed only now (the payment went through), then it dies in bob's refund.
  await cluster.kill("gateway", "SIGTERM");
  await cluster.restart("gateway", { MINISTRIPE_FAILPOINTS: "gateway.votes.collected" });
  const refundKey = crypto.randomUUID();
  const reply = await bob.call("Refund", { idempotency_key: refundKey, payment_id: paid.payment!.id, amount_minor: "10000", reason: "" }, { retry: false, deadlineMs: 8_000 }).catch((error: Error) => error);
  expect(reply).toBeInstanceOf(Error);

  // The same session works on g2 (sessions live in the database); g2 adopts g1's refund and aborts it.
  const bobOnSurvivor = onSurvivor("client-bob", bob.token);
  let refund = await bobOnSurvivor.call("GetPayment", { id_or_key: refundKey }, { retry: true });
  for (let i = 0; i < 200 && refund.status === "PENDING"; i++) {
    await sleepMs(100);
    refund = await bobOnSurvivor.call("GetPayment", { id_or_key: refundKey }, { retry: true });
  }
  expect(refund.status).toBe("FAILED");
  const original = await bobOnSurvivor.call("GetPayment", { id_or_key: paid.payment!.id }, { retry: true });
  expect(original).toMatchObject({ refunded_minor: "0", refundable_minor: "25000" });

  const admin = onSurvivor("admin");
  let report: AuditReport | undefined;
  for (let i = 0; i < 100 && !(report?.ok && report.banks.every((b) => b.open_holds === 0)); i++) {
    await sleepMs(200);
    report = await admin.callAdmin("Audit", {}, { retry: true });
  }
  expect(report!.violations).toEqual([]);
  expect(report!.banks.every((b) => b.open_holds === 0)).toBe(true);

  const all = await bobOnSurvivor.call("Refund", { idempotency_key: crypto.randomUUID(), payment_id: paid.payment!.id, all_remaining: true }, { retry: true });
  expect(all.refund).toMatchObject({ status: "SUCCEEDED", amount_minor: "25000" });
  const aliceOnSurvivor = onSurvivor("client-alice", alice.token);
  expect((await balanceOf(aliceOnSurvivor)) + (await balanceOf(bobOnSurvivor))).toBe(twoBankTotalMinor);
  expect(await balanceOf(aliceOnSurvivor)).toBe(500_000n);
});
