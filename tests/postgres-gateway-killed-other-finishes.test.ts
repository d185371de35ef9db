// Proves takeover: a gateway SIGKILLed at each failpoint (after the claim, after the votes, after the decision) with payments in flight; the other gateway on the same PostgreSQL finishes every one within --takeover-after plus a few seconds (abort without a decision, phase two with one), the banks learn the decisions from it, clients retrying on it get the first outcomes, money is conserved, the audit is clean, and the survivor's /metrics counts the takeover and each payment it aborted.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import type { GatewayClient } from "../src/client/gateway-client";
import { auditUntilClean, balanceOf, processAccountPin, startProcessSystem, twoBankTotalMinor, type ProcessSystem } from "./support/processes";
import { sharedPostgres } from "./support/postgres";
import { scrape, valueOf } from "./support/prometheus";

setDefaultTimeout(120_000);
const takeoverAfterMs = 2_000;
/** Generous for a loaded machine: the bound is takeover-after plus this. */
const finishSlackMs = 12_000;
const systems: ProcessSystem[] = [];
afterAll(async () => {
  for (const system of systems) await system.stop();
});

type Outcome = { id: string; status: string };

/** The payment's outcome from `client`, asking again while it is still running somewhere (ABORTED, PENDING) or the gateway is away. */
async function outcomeOf(client: GatewayClient, key: string, deadlineAtMs: number): Promise<Outcome> {
  for (;;) {
    try {
      const reply = await client.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "1000", note: "" }, { retry: false, deadlineMs: 3_000 });
      if (reply.payment!.status !== "PENDING") return reply.payment!;
    } catch (error) {
      if (!["ABORTED", "UNAVAILABLE", "DEADLINE_EXCEEDED"].includes((error as { code?: string }).code ?? "")) throw error;
    }
    if (Date.now() > deadlineAtMs) throw new Error(`payment ${key} had no outcome by the deadline`);
    await Bun.sleep(100);
  }
}

for (const point of ["gateway.claim.recorded", "gateway.votes.collected", "gateway.decision.recorded"]) {
  test(`a gateway killed at ${point}: the other finishes its payments in time, money conserved, audit clean`, async () => {
    const pg = await sharedPostgres();
    const system = await startProcessSystem({
      gateways: 2,
      database: await pg.createDatabase(),
      gatewayArgs: ["--takeover-after", `${takeoverAfterMs}ms`],
      metrics: true,
      env: { "gateway-1": { MINISTRIPE_FAILPOINTS: point } },
    });
    systems.push(system);
    const [g1, g2] = system.cluster.gatewayAddresses as [string, string];
    const onDoomed = system.clientAt(g1, "client-alice");
    const onSurvivor = system.clientAt(g2, "client-alice");
    const password = "alice-password";
    await onSurvivor.call("Register", { username: "alice", password, bank: "hdfc", account: "1001", account_pin: processAccountPin(system, "hdfc", "1001") }, { retry: true });
    const bob = system.clientAt(g2, "client-bob");
    await bob.call("Register", { username: "bob", password: "bob-password", bank: "icici", account: "2001", account_pin: processAccountPin(system, "icici", "2001") }, { retry: true });
    onDoomed.token = onSurvivor.token = (await onSurvivor.call("Login", { username: "alice", password }, { retry: true })).token;
    bob.token = (await bob.call("Login", { username: "bob", password: "bob-password" }, { retry: true })).token;

    // Payments in flight on the gateway that dies at the failpoint (the first to reach it kills it).
    const keys = Array.from({ length: 8 }, () => crypto.randomUUID());
    const sent = keys.map((key) => onDoomed.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "1000", note: "" }, { retry: false }).catch(() => undefined));
    const doomed = system.cluster.processes.get("gateway-1")!;
    await Promise.race([doomed.exited, Bun.sleep(20_000)]);
    expect(doomed.signalCode).toBe("SIGKILL");
    const killedAtMs = Date.now();
    await Promise.all(sent);

    // The client retries each key on the survivor: the first outcome, within takeover-after and a few seconds.
    const outcomes = await Promise.all(keys.map((key) => outcomeOf(onSurvivor, key, killedAtMs + takeoverAfterMs + finishSlackMs)));
    const succeeded = outcomes.filter((o) => o.status === "SUCCEEDED").length;
    if (point === "gateway.decision.recorded") expect(succeeded).toBeGreaterThan(0); // a COMMIT written before the kill stands
    // Asked again, each key gives the same outcome.
    for (const [i, key] of keys.entries()) expect(await outcomeOf(onSurvivor, key, Date.now() + 5_000)).toEqual(outcomes[i]!);

    const report = await auditUntilClean(system, takeoverAfterMs + finishSlackMs, g2);
    expect(report.violations).toEqual([]);
    expect(report.payments_pending).toBe(0);
    expect(report.phase_two_unfinished).toBe(0);
    expect(report.banks.every((bank) => bank.open_holds === 0)).toBe(true);
    expect(BigInt(report.total_minor)).toBe(twoBankTotalMinor);
    expect(await balanceOf(onSurvivor)).toBe(500_000n - 1_000n * BigInt(succeeded));
    expect(await balanceOf(bob)).toBe(120_000n + 1_000n * BigInt(succeeded));
    // The survivor's /metrics counts the takeover.
    const scraped = await scrape(`http://${system.cluster.metricsAddresses.get("gateway-2")}/metrics`);
    expect(valueOf(scraped, "ministripe_takeovers_total")).toBeGreaterThanOrEqual(1);
    expect(valueOf(scraped, "ministripe_takeover_payments_total")).toBeGreaterThanOrEqual(1);
    // Every abort is the survivor's (the dead one wrote no ABORT: every vote was YES), and its payments_total counts each once.
    expect(valueOf(scraped, "ministripe_payments_total", { status: "FAILED" })).toBe(outcomes.filter((o) => o.status === "FAILED").length);
  });
}
