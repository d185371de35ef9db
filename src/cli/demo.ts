// A scripted tour of every feature against a fresh local cluster: real
// processes, real mutual TLS, real crashes. Each step prints what it shows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayClient } from "../client/gateway-client";
import { Outbox, type WirePayment } from "../client/outbox";
import type { AuditResponseReceived as AuditReport } from "../rpc/wire/messages";
import { AppError, Code } from "../lib/errors";
import { silentLogger } from "../lib/log";
import { devLimits } from "../lib/limits";
import { connect, unaryCall } from "../rpc/channel";
import { loadCertFolder } from "../rpc/credentials";
import type { PayRequest, PayResponseReceived, RefundRequest, RegisterRequest } from "../rpc/wire/messages";
import { present } from "../rpc/wire/present";
import { ClientStore } from "../store/client-store";
import { auditSettled } from "../client/audit-settled";
import { startCluster, type Cluster } from "../local-cluster/cluster";
import { bool, str, type Command } from "./support/flags";
import { parseDatabaseUrl } from "../store/postgres";
import { money, say } from "./support/output";
import { sampleAccountsYaml, samplePin } from "../local-cluster/sample-accounts";

interface Tour {
  cluster: Cluster;
  dir: string;
  users: Map<string, GatewayClient>;
  /** alice's payment to bob, refunded in the refund step. */
  paymentId?: string;
}

type PayReply = { payment: WirePayment; replayed: boolean };
type RefundReply = { refund: WirePayment; replayed: boolean; original: WirePayment };

function payReply(reply: PayResponseReceived): PayReply {
  return { payment: present(reply.payment, "payment"), replayed: reply.replayed };
}

export const demoCommand: Command = {
  name: "demo",
  usage: "demo [--keep] [--database URL]",
  summary: "A scripted tour of every feature against a fresh local cluster.",
  flags: {
    keep: { type: "boolean", help: "keep the demo's folder (certs, data, logs) afterwards" },
    database: { type: "string", value: "URL", help: "two gateways on this PostgreSQL (an empty database), and a gateway dying mid-payment (env MINISTRIPE_DATABASE_URL)" },
  },
  async run(flags) {
    const database = str(flags, "database") ?? process.env.MINISTRIPE_DATABASE_URL;
    if (database) parseDatabaseUrl(database);
    const dir = mkdtempSync(join(tmpdir(), "ministripe-demo-"));
    say(`Starting three banks (hdfc, icici, sbi) and ${database ? "two gateways sharing PostgreSQL" : "the gateway"} as separate processes, mutual TLS everywhere (${dir})`);
    const cluster = await startCluster({ dir, banks: ["hdfc", "icici", "sbi"], clients: ["alice", "bob", "carol"], accountsYaml: sampleAccountsYaml, prepareTimeoutMs: 1_000, inDoubtAfterMs: 2_000, ...(database ? { gateways: 2, database, gatewayArgs: ["--takeover-after", `${demoTakeoverAfterMs}ms`] } : {}) });
    const tour: Tour = { cluster, dir, users: new Map() };
    try {
      for (const [title, step] of database ? [...steps.slice(0, -1), takeoverStep, steps[steps.length - 1]!] : steps) {
        say("");
        say(`== ${title}`);
        await step(tour);
      }
      say("");
      say("Tour complete.");
      return 0;
    } finally {
      for (const client of tour.users.values()) client.close();
      await cluster.stop();
      if (!bool(flags, "keep")) rmSync(dir, { recursive: true, force: true });
      else say(`kept ${dir}`);
    }
  },
};

const steps: [string, (tour: Tour) => Promise<void>][] = [
  ["Register users with their bank accounts (the bank confirms each account)", registerUsers],
  ["Log in (Argon2id password, an opaque expiring token) and check balances", showBalances],
  ["Pay across banks: two-phase commit, both banks vote, the gateway decides", payAcrossBanks],
  ["Idempotency: the same key again is a replay; money moves once", showIdempotency],
  ["A decline is a FAILED payment, not an error: insufficient funds", showDecline],
  ["Refunds: the payee gives back a part, then all that remains; nothing more", showRefunds],
  ["Offline: the gateway goes down, the payment is queued, then sent once", showOffline],
  ["Crash: a bank is killed; the payment aborts; nothing is lost", showCrash],
  ["Security: a client certificate cannot call a bank; a wrong password or PIN is refused", showSecurity],
  ["Audit: every invariant across the gateway and all banks", showAudit],
];

const people = [
  { username: "alice", bank: "hdfc", account: "1001" },
  { username: "bob", bank: "icici", account: "2001" },
  { username: "carol", bank: "sbi", account: "3001" },
];

function clientOf(tour: Tour, certFolder: string, address = tour.cluster.gatewayAddresses.join(",")): GatewayClient {
  return new GatewayClient(address, loadCertFolder(join(tour.cluster.certsDir, certFolder)), silentLogger);
}

async function registerUsers(tour: Tour): Promise<void> {
  for (const person of people) {
    const client = clientOf(tour, `client-${person.username}`);
    const accountPin = samplePin(person.bank, person.account);
    const user = await client.call("Register", { username: person.username, password: `${person.username}-demo-pw`, bank: person.bank, account: person.account, account_pin: accountPin }, { retry: true }).catch((error: unknown) => {
      // Only a database of an earlier run can hold them: every other cluster of the demo is new.
      if (error instanceof AppError && error.code === Code.AlreadyExists) throw new AppError(Code.FailedPrecondition, `${error.message}: the database holds the demo's users from an earlier run; give --database an empty one`);
      throw error;
    });
    say(`  ${person.username}: account ${person.account} at ${person.bank} (${user.holder}), with the account's PIN ${accountPin}`);
    tour.users.set(person.username, client);
  }
}

async function showBalances(tour: Tour): Promise<void> {
  for (const [username, client] of tour.users) {
    client.token = (await client.call("Login", { username, password: `${username}-demo-pw` }, { retry: true })).token;
  }
  await printBalances(tour);
}

async function printBalances(tour: Tour): Promise<void> {
  for (const [username, client] of tour.users) {
    const b = await client.call("GetBalance", {}, { retry: true });
    say(`  ${username.padEnd(6)} ${b.bank.padEnd(6)} balance ${money(b.balance_minor, b.currency)}`);
  }
}

function pay(tour: Tour, from: string, to: string, amountMinor: bigint, key: string = crypto.randomUUID()): Promise<PayReply> {
  return tour.users.get(from)!.call("Pay", { idempotency_key: key, to_username: to, amount_minor: amountMinor.toString(), note: "demo" }, { retry: true }).then(payReply);
}

function describe(reply: PayReply): string {
  const p = reply.payment;
  const outcome = p.status === "SUCCEEDED" ? "SUCCEEDED" : `FAILED (${p.failure_code})`;
  return `${p.payer} -> ${p.payee} ${money(p.amount_minor, p.currency)}: ${outcome}${reply.replayed ? ", a replay of the first request" : ""}`;
}

async function payAcrossBanks(tour: Tour): Promise<void> {
  const reply = await pay(tour, "alice", "bob", 10_050n);
  tour.paymentId = reply.payment.id;
  say(`  ${describe(reply)}`);
  await printBalances(tour);
}

async function showIdempotency(tour: Tour): Promise<void> {
  const key = crypto.randomUUID();
  say(`  first send with key ${key}: ${describe(await pay(tour, "bob", "carol", 2_500n, key))}`);
  say(`  the same request again:   ${describe(await pay(tour, "bob", "carol", 2_500n, key))}`);
  const reused = await pay(tour, "bob", "carol", 9_900n, key).catch((error: AppError) => error);
  say(`  the same key, another amount: ${reused instanceof AppError ? `${reused.code}: ${reused.message}` : "accepted?!"}`);
  await printBalances(tour);
}

async function showDecline(tour: Tour): Promise<void> {
  const reply = await pay(tour, "carol", "alice", 10_000_000n);
  say(`  ${describe(reply)}: ${reply.payment.failure_message}`);
}

async function refund(tour: Tour, amount: Pick<RefundRequest, "amount_minor"> | Pick<RefundRequest, "all_remaining">): Promise<RefundReply> {
  const reply = await tour.users.get("bob")!.call("Refund", { idempotency_key: crypto.randomUUID(), payment_id: tour.paymentId, reason: "demo", ...amount }, { retry: true });
  return { refund: present(reply.refund, "refund"), replayed: reply.replayed, original: present(reply.original, "original") };
}

async function showRefunds(tour: Tour): Promise<void> {
  const part = await refund(tour, { amount_minor: "2550" });
  say(`  bob refunds 25.50 of alice's 100.50: ${part.refund.payer} -> ${part.refund.payee} ${money(part.refund.amount_minor, part.refund.currency)} ${part.refund.status}; ${money(part.original.refundable_minor)} remains refundable`);
  const rest = await refund(tour, { all_remaining: true });
  say(`  bob refunds all that remains: ${money(rest.refund.amount_minor, rest.refund.currency)} ${rest.refund.status}; refunded ${money(rest.original.refunded_minor)} in all`);
  const more = await refund(tour, { amount_minor: "1" }).catch((error: AppError) => error);
  say(`  one cent more: ${more instanceof AppError ? `${more.code}: ${more.message}` : "accepted?!"}`);
  const byPayer = await tour.users.get("alice")!.call("Refund", { idempotency_key: crypto.randomUUID(), payment_id: tour.paymentId, amount_minor: "100" }, { retry: true }).catch((error: AppError) => error);
  say(`  alice, the payer, tries to refund it: ${byPayer instanceof AppError ? `${byPayer.code}: ${byPayer.message}` : "accepted?!"}`);
  await printBalances(tour);
}

async function showOffline(tour: Tour): Promise<void> {
  const store = new ClientStore(join(tour.dir, "demo-outbox.db"));
  const alice = tour.users.get("alice")!;
  const outbox = new Outbox(store, alice);
  try {
    for (const name of gatewayNames(tour)) await tour.cluster.kill(name, "SIGTERM");
    say(`  ${gatewayNames(tour).length > 1 ? "both gateways" : "gateway"} stopped`);
    const queued = await outbox.pay({ username: "alice", toUsername: "carol", amountMinor: 7_500n, note: "sent offline" });
    say(`  alice pays carol 75.00: ${queued.kind === "queued" ? `queued in the outbox with key ${queued.key} (the CLI exits 75)` : queued.kind}`);
    for (const name of gatewayNames(tour)) await tour.cluster.restart(name);
    say(`  ${gatewayNames(tour).length > 1 ? "gateways" : "gateway"} back`);
    for (const outcome of await outbox.sync("alice", 5_000, true)) {
      say(`  sync: ${outcome.kind === "final" ? `${outcome.payment.payer} -> ${outcome.payment.payee} ${money(outcome.payment.amount_minor)} ${outcome.payment.status}` : outcome.kind}`);
    }
    await printBalances(tour);
  } finally {
    store.close();
  }
}

function gatewayNames(tour: Tour): string[] {
  const count = tour.cluster.gatewayAddresses.length;
  return count === 1 ? ["gateway"] : Array.from({ length: count }, (_, i) => `gateway-${i + 1}`);
}

const demoTakeoverAfterMs = 3_000;

const takeoverStep: [string, (tour: Tour) => Promise<void>] = ["Takeover: a gateway dies just after deciding; the other finishes its payment", showTakeover];

/** gateway-1 is restarted armed to die after its next decision; gateway-2 adopts the payment once gateway-1 is silent. */
async function showTakeover(tour: Tour): Promise<void> {
  const [first, second] = tour.cluster.gatewayAddresses as [string, string];
  await tour.cluster.kill("gateway-1", "SIGTERM");
  await tour.cluster.restart("gateway-1", { MINISTRIPE_FAILPOINTS: "gateway.decision.recorded" });
  const onFirst = clientOf(tour, "client-alice", first);
  const onSecond = clientOf(tour, "client-alice", second);
  onFirst.token = onSecond.token = tour.users.get("alice")!.token;
  const key = crypto.randomUUID();
  const request: PayRequest = { idempotency_key: key, to_username: "bob", amount_minor: "500", note: "demo takeover" };
  try {
    const lost = await onFirst.call("Pay", request, { retry: false }).then(payReply).catch((error: AppError) => error);
    say(`  alice pays bob 5.00 through gateway-1 (${first}): ${lost instanceof AppError ? `${lost.code}: gateway-1 died after writing its decision, before telling the banks` : describe(lost)}`);
    const startedAtMs = Date.now();
    for (let attempt = 0; attempt < devLimits.demoTakeoverPollsMax; attempt++) {
      const reply = await onSecond.call("Pay", request, { retry: true }).then(payReply).catch((error: AppError) => error);
      if (!(reply instanceof AppError) && reply.payment.status !== "PENDING") {
        say(`  the same key sent to gateway-2 (${second}) after ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s: ${describe(reply)}: the first outcome, read from the shared database`);
        say(`  the banks still hold it prepared; gateway-2 adopts the payment and sends them COMMIT once gateway-1 has been silent for ${demoTakeoverAfterMs / 1000} s`);
        break;
      }
      await Bun.sleep(devLimits.demoTakeoverPollMs);
    }
  } finally {
    onFirst.close();
    onSecond.close();
  }
  await tour.cluster.restart("gateway-1");
  say("  gateway-1 restarted");
  await printBalances(tour);
}

async function showCrash(tour: Tour): Promise<void> {
  await tour.cluster.kill("bank-icici");
  say("  bank icici killed with SIGKILL");
  const reply = await pay(tour, "alice", "bob", 1_000n);
  say(`  alice pays bob 10.00: ${describe(reply)}; alice's hold at hdfc is released by the abort`);
  await tour.cluster.restart("bank-icici");
  say("  bank icici restarted from its database; the gateway resends the abort it missed");
}

async function showSecurity(tour: Tour): Promise<void> {
  const bank = connect("Bank", tour.cluster.bankAddresses.get("hdfc")!, { certs: loadCertFolder(join(tour.cluster.certsDir, "client-alice")), expect: { role: "bank", name: "hdfc" } });
  const refused = await unaryCall(bank, "GetBalance", { account: "1001" }, { deadlineMs: 3_000 }).catch((error: AppError) => error);
  say(`  alice's client certificate calling bank hdfc directly: ${refused instanceof AppError ? `${refused.code}: ${refused.message}` : "allowed?!"}`);
  bank.close();
  const wrong = await tour.users.get("bob")!.call("Login", { username: "bob", password: "not-his-password" }, { retry: false }).catch((error: AppError) => error);
  say(`  bob with a wrong password: ${wrong instanceof AppError ? `${wrong.code}: ${wrong.message}` : "allowed?!"}`);
  const mallory: RegisterRequest = { username: "mallory", password: "mallory-demo-pw", bank: "hdfc", account: "1002", account_pin: "0000" };
  const guessed = await tour.users.get("carol")!.call("Register", mallory, { retry: false }).catch((error: AppError) => error);
  say(`  registering someone else's account 1002 with a guessed PIN: ${guessed instanceof AppError ? `${guessed.code}: ${guessed.message}` : "allowed?!"}`);
}

async function showAudit(tour: Tour): Promise<void> {
  const admin = clientOf(tour, "admin");
  try {
    const report: AuditReport = await auditSettled(() => admin.callAdmin("Audit", {}, { retry: true }));
    for (const b of report.banks) say(`  ${b.bank.padEnd(6)} balances ${money(b.balance_sum_minor)}, open holds ${b.open_holds}, in doubt ${b.in_doubt}`);
    say(`  total ${money(report.total_minor, report.currency)} against ${money(report.loaded_total_minor, report.currency)} first loaded`);
    say(`  ${report.ok ? "audit clean: every invariant holds" : `VIOLATIONS: ${report.violations.join("; ")}`}`);
  } finally {
    admin.close();
  }
}
