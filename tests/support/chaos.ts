// The chaos test, shared by its one-gateway and several-gateway files.
import { expect } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import type { GatewayClient } from "../../src/client/gateway-client";
import { sleepMs } from "../../src/lib/clock";
import { auditUntilClean, processAccountPin, startProcessSystem, type ProcessSystem } from "./processes";
import { sharedPostgres } from "./postgres";
import { SeededRandom, seedFromEnv } from "./seeded-random";

export const seed = seedFromEnv();
const durationMs = Number(process.env.MINISTRIPE_CHAOS_MS ?? 15_000);
const payersConcurrent = 8;
const recoveryMsMax = 10_000;
const banks = ["hdfc", "icici", "sbi"];
const openingMinor = 100_000n;
const users = banks.flatMap((bank, b) => [0, 1].map((i) => ({ username: `u${b}${i}`, bank, account: `${b + 1}00${i}` })));
const accountsYaml = `currency: INR\nbanks:\n${banks
  .map((bank) => `  ${bank}:\n    accounts:\n${users.filter((u) => u.bank === bank).map((u) => `      - { number: "${u.account}", holder: "${u.username}", balance: "1000.00" }`).join("\n")}`)
  .join("\n")}\n`;

interface Attempt {
  key: string;
  payer: number;
  payee: number;
  amountMinor: bigint;
  seen?: string; // the status the client saw, if a reply arrived
  final?: { id: string; status: string };
}

/** What one chaos run observed; the test files assert on it. */
export interface ChaosResult {
  seed: number;
  /** How long after the last fault healed payments through every bank succeeded again. */
  recoveryMs: number;
  recoveryMsMax: number;
  auditViolations: string[];
  /** Banks left with an open hold or an in-doubt transaction after the audit came clean. */
  banksNotSettled: string[];
  phaseTwoUnfinished: number;
  /** Payments whose outcome differs between what a client saw, the gateway and the banks' ledgers (empty when each moved money once or not at all). */
  ledgerMismatches: string[];
  balancesMinor: bigint[];
  /** Each account's opening balance plus what the succeeded payments moved. */
  expectedBalancesMinor: bigint[];
  openingTotalMinor: bigint;
  payments: number;
  succeeded: number;
  faultsByKind: Record<FaultKind, number>;
}

/**
 * One chaos run: one gateway on SQLite, or `gateways` of them on one
 * PostgreSQL database (killed at random like the banks; the survivors take
 * over; clients are given every gateway). Stops its processes before it returns.
 */
export async function runChaos(gateways: number): Promise<ChaosResult> {
  const system = await startChaos(gateways);
  try {
    return await observeChaos(system, gateways);
  } finally {
    await system.stop();
  }
}

/** The chaos test's time bound: its run, then settling, auditing and stopping. */
export const chaosTimeoutMs = durationMs + 120_000;

/** What every chaos run must end with, whatever its setup: payments through every bank again soon after the last fault, a clean audit, nothing left held or unfinished, each payment in the ledgers as its client saw it, and every balance, and so the total, to the minor unit. */
export function expectInvariantsHeld(run: ChaosResult): void {
  expect(run.recoveryMs).toBeLessThan(run.recoveryMsMax);
  expect(run.auditViolations).toEqual([]);
  expect(run.banksNotSettled).toEqual([]);
  expect(run.phaseTwoUnfinished).toBe(0);
  expect(run.ledgerMismatches).toEqual([]);
  expect(run.balancesMinor).toEqual(run.expectedBalancesMinor);
  expect(run.balancesMinor.reduce((a, b) => a + b, 0n)).toBe(run.openingTotalMinor);
  expect(run.succeeded).toBeGreaterThan(0);
}

async function startChaos(gateways: number): Promise<ProcessSystem> {
  const several = gateways > 1 ? { gateways, database: await (await sharedPostgres()).createDatabase(), gatewayArgs: ["--takeover-after", "2s"] } : {};
  return startProcessSystem({ banks, accountsYaml, clients: ["alice"], prepareTimeoutMs: 500, inDoubtAfterMs: 1_000, proxied: banks, ...several });
}

async function observeChaos(system: ProcessSystem, gateways: number): Promise<ChaosResult> {
  console.log(`chaos seed: ${seed} (MINISTRIPE_SEED=${seed} replays this schedule)`);
  const random = new SeededRandom(seed);
  const clients = await Promise.all(users.map((u) => signUp(system, u)));

  const schedule = faultSchedule(random, durationMs, gateways);
  const attempts: Attempt[] = [];
  const stopAtMs = Date.now() + durationMs;
  // Once the last fault has healed, payments through every bank must succeed again soon.
  const recovered = runSchedule(system, schedule).then((healedAtMs) => msUntilEveryBankPays(clients, attempts, healedAtMs));
  const [recoveryMs] = await Promise.all([recovered, ...Array.from({ length: payersConcurrent }, (_, w) => payLoop(clients, new SeededRandom(seed + w + 1), attempts, stopAtMs))]);
  console.log(`chaos: payments through every bank succeeded ${recoveryMs} ms after the last fault healed`);

  // Quiet: every process up. Ask again, with the same key, about every payment whose reply was lost.
  for (const attempt of attempts) attempt.final ??= await settle(clients[attempt.payer]!, attempt);
  const report = await auditUntilClean(system, 30_000);
  const ledgers = new Map(banks.map((bank) => [bank, readLedger(system, bank)]));
  const { ledgerMismatches, expectedBalancesMinor } = compareWithLedgers(attempts, ledgers);
  const balances = await Promise.all(clients.map((c) => c.call("GetBalance", {}, { retry: true, attemptsMax: 10 })));
  const succeeded = attempts.filter((a) => a.final!.status === "SUCCEEDED").length;
  const faultsByKind = Object.fromEntries(faultKinds.map((kind) => [kind, schedule.filter((f) => f.kind === kind).length])) as Record<FaultKind, number>;
  const injected = faultKinds.map((kind) => `${kind} ${faultsByKind[kind]}`).join(", ");
  console.log(`chaos: ${attempts.length} payments, ${succeeded} succeeded; ${schedule.length} faults: ${injected}`);
  return {
    seed,
    recoveryMs,
    recoveryMsMax,
    auditViolations: report.violations,
    banksNotSettled: report.banks.filter((b) => b.open_holds !== 0 || b.in_doubt !== 0).map((b) => b.bank),
    phaseTwoUnfinished: report.phase_two_unfinished,
    ledgerMismatches,
    balancesMinor: balances.map((b) => BigInt(b.balance_minor)),
    expectedBalancesMinor,
    openingTotalMinor: openingMinor * BigInt(users.length),
    payments: attempts.length,
    succeeded,
    faultsByKind,
  };
}

type Ledgers = Map<string, Map<string, { account: string; deltaMinor: bigint }[]>>;

/** Each payment against both banks' ledgers: a SUCCEEDED one posted once at each side, a FAILED one at neither, and what the client saw is what stands. */
function compareWithLedgers(attempts: Attempt[], ledgers: Ledgers): { ledgerMismatches: string[]; expectedBalancesMinor: bigint[] } {
  const ledgerMismatches: string[] = [];
  const expectedBalancesMinor = users.map(() => openingMinor);
  for (const attempt of attempts) {
    const final = attempt.final!;
    if (attempt.seen && final.status !== attempt.seen) ledgerMismatches.push(`${attempt.key}: the client saw ${attempt.seen}, it ended ${final.status}`);
    const payer = users[attempt.payer]!;
    const payee = users[attempt.payee]!;
    const payerRows = ledgers.get(payer.bank)!.get(final.id) ?? [];
    const payeeRows = ledgers.get(payee.bank)!.get(final.id) ?? [];
    if (final.status === "SUCCEEDED") {
      const debits = payerRows.filter((r) => r.account === payer.account && r.deltaMinor === -attempt.amountMinor).length;
      const credits = payeeRows.filter((r) => r.account === payee.account && r.deltaMinor === attempt.amountMinor).length;
      if (debits !== 1 || credits !== 1) ledgerMismatches.push(`${attempt.key}: SUCCEEDED with ${debits} debits and ${credits} credits`);
      expectedBalancesMinor[attempt.payer]! -= attempt.amountMinor;
      expectedBalancesMinor[attempt.payee]! += attempt.amountMinor;
    } else if (final.status !== "FAILED" || payerRows.length + payeeRows.length !== 0) {
      ledgerMismatches.push(`${attempt.key}: ${final.status} with ${payerRows.length + payeeRows.length} ledger rows`);
    }
  }
  return { ledgerMismatches, expectedBalancesMinor };
}

/** Process kills, and faults of the network between the gateway and one bank (through that bank's FaultProxy). */
const faultKinds = ["kill", "delay", "hold", "reset", "lose"] as const;
type FaultKind = (typeof faultKinds)[number];

interface Fault {
  /** When it is injected, from the start of the run. */
  afterMs: number;
  kind: FaultKind;
  /** A process name for a kill ("gateway", "bank-hdfc"), a bank name for a network fault. */
  victim: string;
  /** How long the process stays down or the fault lasts. */
  downMs: number;
  /** For a delay: of every chunk, both ways. */
  delayMs: number;
}

/**
 * Faults spread over the run, one at a time, each healed (or its process
 * restarted) before the next. Kinds come in rounds, each a seeded shuffle of
 * every kind, and the spacing fits five in a 15 s run: every CI run injects
 * each kind at least once.
 */
function faultSchedule(random: SeededRandom, runMs: number, gateways: number): Fault[] {
  const faults: Fault[] = [];
  const gatewayNames = gateways === 1 ? ["gateway"] : Array.from({ length: gateways }, (_, i) => `gateway-${i + 1}`);
  const processes = [...gatewayNames, ...banks.map((b) => `bank-${b}`)];
  let round: FaultKind[] = [];
  for (let afterMs = random.int(500, 1_500); afterMs < runMs - 1_000 && faults.length < 100; ) {
    if (round.length === 0) round = shuffled(random, faultKinds);
    const kind = round.pop()!;
    const downMs = random.int(100, 1_000);
    faults.push({ afterMs, kind, victim: kind === "kill" ? random.pick(processes) : random.pick(banks), downMs, delayMs: kind === "delay" ? random.int(50, 400) : 0 });
    afterMs += downMs + random.int(600, 1_800);
  }
  return faults;
}

function shuffled<T>(random: SeededRandom, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Runs the schedule; resolves with the moment the last fault healed. */
async function runSchedule(system: ProcessSystem, schedule: Fault[]): Promise<number> {
  const startedAtMs = Date.now();
  let healedAtMs = startedAtMs;
  for (const fault of schedule) {
    await sleepMs(Math.max(0, startedAtMs + fault.afterMs - Date.now()));
    await inject(system, fault);
    await sleepMs(fault.downMs);
    await heal(system, fault);
    healedAtMs = Date.now();
  }
  return healedAtMs;
}

async function inject(system: ProcessSystem, fault: Fault): Promise<void> {
  if (fault.kind === "kill") return system.cluster.kill(fault.victim);
  const proxy = system.proxies.get(fault.victim)!;
  if (fault.kind === "delay") proxy.delayMs = fault.delayMs;
  else if (fault.kind === "hold") proxy.hold();
  else if (fault.kind === "reset") proxy.cut();
  else proxy.lose();
}

async function heal(system: ProcessSystem, fault: Fault): Promise<void> {
  if (fault.kind === "kill") return system.cluster.restart(fault.victim);
  const proxy = system.proxies.get(fault.victim)!;
  proxy.delayMs = 0;
  proxy.heal();
}

/**
 * Pays along a ring of banks (hdfc -> icici -> sbi -> hdfc), each route until
 * a payment succeeds: the milliseconds from `healedAtMs` until every route
 * had succeeded, or Infinity once that is past recoveryMsMax.
 */
async function msUntilEveryBankPays(clients: GatewayClient[], attempts: Attempt[], healedAtMs: number): Promise<number> {
  const routes = banks.map((_, b) => ({ payer: b * 2, payee: ((b + 1) % banks.length) * 2 + 1 }));
  const tookMs = await Promise.all(
    routes.map(async ({ payer, payee }) => {
      for (let i = 0; i < 1_000 && Date.now() < healedAtMs + recoveryMsMax; i++) {
        const attempt: Attempt = { key: crypto.randomUUID(), payer, payee, amountMinor: 1n };
        attempts.push(attempt);
        try {
          const reply = await send(clients[payer]!, attempt, 1);
          attempt.seen = reply.status;
          attempt.final = reply;
          if (reply.status === "SUCCEEDED") return Date.now() - healedAtMs;
        } catch {
          // reply lost: settled after the run with the same key
        }
        await sleepMs(100);
      }
      return Infinity;
    }),
  );
  return Math.max(...tookMs);
}

async function payLoop(clients: GatewayClient[], random: SeededRandom, attempts: Attempt[], stopAtMs: number): Promise<void> {
  for (let i = 0; i < 100_000 && Date.now() < stopAtMs; i++) {
    const payer = random.int(0, users.length - 1);
    const payee = (payer + random.int(1, users.length - 1)) % users.length;
    const attempt: Attempt = { key: crypto.randomUUID(), payer, payee, amountMinor: BigInt(random.int(1, 20_000)) };
    attempts.push(attempt);
    try {
      const reply = await send(clients[payer]!, attempt, 3);
      attempt.seen = reply.status;
      attempt.final = reply;
    } catch {
      await sleepMs(100); // reply lost: settled after the run with the same key
    }
  }
}

function send(client: GatewayClient, attempt: Attempt, attemptsMax: number): Promise<{ id: string; status: string }> {
  return client
    .call("Pay", { idempotency_key: attempt.key, to_username: users[attempt.payee]!.username, amount_minor: attempt.amountMinor.toString(), note: "" }, { retry: true, attemptsMax, deadlineMs: 5_000 })
    .then((reply) => reply.payment!);
}

/** The first outcome of a key, asked for by retrying the very same payment. */
async function settle(client: GatewayClient, attempt: Attempt): Promise<{ id: string; status: string }> {
  for (let i = 0; i < 50; i++) {
    try {
      const payment = await send(client, attempt, 5);
      if (payment.status !== "PENDING") return payment;
    } catch (error) {
      if ((error as { code?: string }).code !== "ABORTED" && (error as { code?: string }).code !== "UNAVAILABLE") throw error;
    }
    await sleepMs(200);
  }
  throw new Error(`payment ${attempt.key} never settled`);
}

async function signUp(system: ProcessSystem, user: { username: string; bank: string; account: string }): Promise<GatewayClient> {
  // Every gateway: calls go round them and pass over one that is down.
  const client = system.clientAt(system.cluster.gatewayAddresses.join(","), "client-alice");
  const password = `${user.username}-password`;
  await client.call("Register", { username: user.username, password, bank: user.bank, account: user.account, account_pin: processAccountPin(system, user.bank, user.account) }, { retry: true });
  client.token = (await client.call("Login", { username: user.username, password }, { retry: true })).token;
  return client;
}

function readLedger(system: ProcessSystem, bank: string): Map<string, { account: string; deltaMinor: bigint }[]> {
  const db = new Database(join(system.dir, "data", `bank-${bank}.db`), { readonly: true, safeIntegers: true });
  try {
    const byTxid = new Map<string, { account: string; deltaMinor: bigint }[]>();
    for (const row of db.query<{ txid: string; account: string; delta_minor: bigint }, []>("SELECT txid, account, delta_minor FROM ledger").all()) {
      const rows = byTxid.get(row.txid) ?? [];
      rows.push({ account: row.account, deltaMinor: row.delta_minor });
      byTxid.set(row.txid, rows);
    }
    return byTxid;
  } finally {
    db.close();
  }
}
