// Proves a gateway on PostgreSQL rides out the database restarting under load: while it is down calls fail UNAVAILABLE (or wait), the gateway recovers by itself, every payment ends with one outcome (decisions cut off mid-write are read back), nothing is lost or doubled, and the audit is clean.
import { expect, setDefaultTimeout, test } from "bun:test";
import { auditUntilClean, balanceOf, processAccountPin, systemOnItsOwnPostgres, twoBankTotalMinor } from "./support/processes";

setDefaultTimeout(180_000);
const cluster = systemOnItsOwnPostgres();

test("PostgreSQL stopped and started under load: every payment one outcome, money conserved, audit clean", async () => {
  const { pg, system } = await cluster.start({ gateways: 2, gatewayArgs: ["--takeover-after", "3s"] });
  const [g1, g2] = system.cluster.gatewayAddresses as [string, string];
  const alice = system.clientAt(g1, "client-alice");
  const aliceToo = system.clientAt(g2, "client-alice");
  const bob = system.clientAt(g2, "client-bob");
  await alice.call("Register", { username: "alice", password: "alice-password", bank: "hdfc", account: "1001", account_pin: processAccountPin(system, "hdfc", "1001") }, { retry: true });
  await bob.call("Register", { username: "bob", password: "bob-password", bank: "icici", account: "2001", account_pin: processAccountPin(system, "icici", "2001") }, { retry: true });
  alice.token = aliceToo.token = (await alice.call("Login", { username: "alice", password: "alice-password" }, { retry: true })).token;
  bob.token = (await bob.call("Login", { username: "bob", password: "bob-password" }, { retry: true })).token;

  // Load: payments with keys, each retried (on either gateway) until it has an outcome.
  const outcomes = new Map<string, string>();
  const codesSeen = new Set<string>();
  const calls: { startedAtMs: number; endedAtMs: number }[] = [];
  let stopLoad = false;
  const payUntilFinal = async (key: string, i: number) => {
    for (let attempt = 0; attempt < 2_000; attempt++) {
      const client = (i + attempt) % 2 === 0 ? alice : aliceToo;
      const startedAtMs = performance.now();
      try {
        const reply = await client.call("Pay", { idempotency_key: key, to_username: "bob", amount_minor: "100", note: "" }, { retry: false, deadlineMs: 5_000 });
        if (reply.payment!.status !== "PENDING") return outcomes.set(key, reply.payment!.status);
      } catch (error) {
        codesSeen.add((error as { code?: string }).code ?? "?");
      } finally {
        calls.push({ startedAtMs, endedAtMs: performance.now() });
      }
      await Bun.sleep(100);
    }
    throw new Error(`payment ${key} never finished`);
  };
  const workers = Array.from({ length: 8 }, async (_, w) => {
    for (let n = 0; !stopLoad; n++) await payUntilFinal(`w${w}-${n}-${crypto.randomUUID()}`, w + n);
  });
  await Bun.sleep(2_000);
  const stoppingAtMs = performance.now();
  await pg.stop();
  await Bun.sleep(2_000);
  await pg.start();
  const startedAgainAtMs = performance.now();
  await Bun.sleep(3_000);
  stopLoad = true;
  await Promise.all(workers);

  // The outage was seen: a call failed with it, or waited through all of it (the gateway's writes retry while the database restarts).
  const waitedThrough = calls.some((call) => call.startedAtMs < stoppingAtMs && call.endedAtMs > startedAgainAtMs);
  expect({ codes: [...codesSeen], seen: codesSeen.has("UNAVAILABLE") || codesSeen.has("DEADLINE_EXCEEDED") || waitedThrough }).toMatchObject({ seen: true });
  const succeeded = [...outcomes.values()].filter((status) => status === "SUCCEEDED").length;
  expect(succeeded).toBeGreaterThan(0);
  const report = await auditUntilClean(system, 30_000, g2);
  expect(report.violations).toEqual([]);
  expect(report.payments_pending).toBe(0);
  expect(report.phase_two_unfinished).toBe(0);
  expect(BigInt(report.total_minor)).toBe(twoBankTotalMinor);
  // Each key's outcome once: the gateway's count of succeeded payments is the clients' count.
  expect(report.payments_succeeded).toBe(succeeded);
  expect(await balanceOf(bob)).toBe(120_000n + 100n * BigInt(succeeded));
});
