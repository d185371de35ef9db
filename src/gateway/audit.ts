// The auditor: every invariant of SPEC checked across the gateway and all banks.
// Money in transit (a payment committed at one bank, not yet at the other)
// is counted from the coordinator's decisions, and the banks are read at
// once, so a live system audits clean.
import { assert } from "../lib/assert";
import { AppError, Code } from "../lib/errors";
import { sleepMs } from "../lib/clock";
import { limits, auditLimits } from "../lib/limits";
import { formatMinor, formatMoney, minorFromWire } from "../lib/money";
import { plural } from "../lib/plural";
import { unaryCall } from "../rpc/channel";
import type { AuditResponseReceived, BankAuditResponseReceived } from "../rpc/wire/messages";
import type { MethodName, Reply, Request } from "../rpc/wire/services";
import type { CommittedPayment, GatewayStore } from "../store/gateway-store";
import type { BankLinks } from "./bank-links";
import { legsAt, sameLegs, type Leg } from "./legs";

type BankAuditWire = BankAuditResponseReceived;

/** The audit as the Admin service answers it. */
export type AuditReport = AuditResponseReceived;


interface Snapshot {
  wires: Map<string, BankAuditWire | Error>;
  totalMinor: bigint;
  loadedMinor: bigint;
  /** Payments decided while the banks were being read: each could be seen at one bank and not yet at another. */
  decidedMeanwhile: number;
}

export interface AuditOptions {
  /** The coordinator's clock: the audit's start is compared with the times it wrote (decided, phase two done). */
  nowMs: () => number;
  /** The deployment's one currency (the gateway's --currency): a bank keeping another is a violation. Unset: the first bank's. */
  currency?: string;
  /** Ids per ledger page the walk reads (tests use small pages to cross page boundaries). */
  ledgerPageSize?: number;
}

export async function audit(store: GatewayStore, banks: BankLinks, inDoubtAfterMs: number, options: AuditOptions): Promise<AuditReport> {
  const { nowMs, ledgerPageSize = auditLimits.ledgerPageSizeDefault } = options;
  assert(Number.isInteger(ledgerPageSize) && ledgerPageSize >= 1 && ledgerPageSize <= limits.ledgerPageSizeMax, "ledger page size within bounds");
  const violations: string[] = [];
  const mismatches = new Mismatches();
  const rows: AuditReport["banks"] = [];
  let currency = options.currency ?? "";
  const startedAtMs = nowMs();
  let snapshot = await snapshotBanks(store, banks, inDoubtAfterMs, nowMs);
  for (let attempt = 1; attempt < auditLimits.snapshotAttemptsMax && unreadBanks(snapshot) === 0 && snapshot.totalMinor !== snapshot.loadedMinor && snapshot.decidedMeanwhile > 0; attempt++) {
    await sleepMs(auditLimits.snapshotRetryMs);
    snapshot = await snapshotBanks(store, banks, inDoubtAfterMs, nowMs);
  }
  for (const [name, wire] of snapshot.wires) {
    if (wire instanceof Error) {
      violations.push(`${name}: unreachable, cannot be audited`);
      rows.push({ ...unreadRow(name), error: wire.message });
      continue;
    }
    currency ||= wire.currency;
    // One payment would move one currency at one bank and another at the other: SPEC's one currency per deployment.
    if (wire.currency !== currency) violations.push(`${name}: keeps ${wire.currency}, where the deployment's currency is ${currency}`);
    if (wire.negative_balances > 0) violations.push(`${name}: ${wire.negative_balances} negative balances`);
    if (wire.negative_available > 0) violations.push(`${name}: ${wire.negative_available} accounts with negative available funds`);
    if (wire.in_doubt_txids.length > 0) violations.push(`${name}: ${wire.in_doubt_txids.length} prepared transactions older than ${inDoubtAfterMs}ms`);
    try {
      await compareLedger(store, banks, name, startedAtMs, ledgerPageSize, mismatches);
    } catch (error) {
      violations.push(`${name}: ledger not compared: ${(error as Error).message}`);
    }
    rows.push({
      bank: name,
      reachable: true,
      balance_sum_minor: wire.balance_sum_minor,
      loaded_total_minor: wire.loaded_total_minor,
      open_holds: wire.open_holds,
      open_holds_minor: wire.open_holds_minor,
      in_doubt: wire.in_doubt_txids.length,
      negative_balances: wire.negative_balances,
      committed: wire.committed,
      error: "",
    });
  }
  // A bank users are registered at that this gateway is not given: what moved to or from it is there, unread, like an unreachable bank's.
  const notGiven = (await store.registeredBanks()).filter((bank) => !banks.has(bank)).sort();
  for (const bank of notGiven) {
    violations.push(`${bank}: users are registered at it, but this gateway is not given it (--bank ${bank}=HOST:PORT): cannot be audited`);
    rows.push({ ...unreadRow(bank), error: `not given to this gateway (--bank ${bank}=HOST:PORT)` });
  }
  const { totalMinor, loadedMinor } = snapshot;
  // With a bank unread, the banks read hold what moved to or from it: their sum says nothing (the bank is reported unreachable above).
  if (totalMinor !== loadedMinor && unreadBanks(snapshot) === 0 && notGiven.length === 0) {
    const meanwhile = snapshot.decidedMeanwhile > 0 ? ` (${snapshot.decidedMeanwhile} payments were decided while the banks were read, in each of ${auditLimits.snapshotAttemptsMax} attempts: audit again when the system is quieter)` : "";
    violations.push(`total ${formatMoney(totalMinor, currency)} differs from the total first loaded ${formatMoney(loadedMinor, currency)}${meanwhile}`);
  }
  if (mismatches.count > 0) violations.push(`${plural(mismatches.count, "ledger mismatch", "ledger mismatches")} between the gateway and the banks`);
  violations.push(...(await refundViolations(store)));
  const counts = await store.counts();
  return {
    banks: rows,
    total_minor: totalMinor.toString(),
    loaded_total_minor: loadedMinor.toString(),
    payments_succeeded: counts.succeeded,
    payments_failed: counts.failed,
    payments_pending: counts.undecided,
    phase_two_unfinished: counts.phaseTwoUnfinished,
    mismatches: mismatches.listed,
    violations,
    ok: violations.length === 0,
    currency,
  };
}

/**
 * A call to a bank for the audit. While the bank is known to be reachable
 * (its Exchange connection, src/rpc/http2-unary.ts, is up) it waits for the
 * grpc-js channel of reads, which may still be reconnecting after the bank
 * restarted; while it is not, it fails at once (the bank is unreachable).
 */
function bankCall<M extends MethodName<"Bank">>(banks: BankLinks, name: string, method: M, request: Request<"Bank", M>, deadlineMs: number): Promise<Reply<"Bank", M>> {
  const link = banks.get(name);
  return unaryCall(link.client, method, request, { deadlineMs, waitForReady: link.connected() });
}

/**
 * Every bank read at once (so the window in which a payment can be seen at
 * one bank and not yet at another is a few milliseconds, not the whole
 * audit), then the decisions of the amounts they hold pending. A COMMIT read
 * after the snapshot whose payment was prepared at one bank after that bank
 * was read would be counted wrong: `decidedMeanwhile` says whether any could be.
 */
async function snapshotBanks(store: GatewayStore, banks: BankLinks, inDoubtAfterMs: number, nowMs: () => number): Promise<Snapshot> {
  const startedAtMs = nowMs();
  const names = banks.names();
  const answers = await Promise.all(
    names.map((name) =>
      bankCall(banks, name, "Audit", { in_doubt_after_ms: String(inDoubtAfterMs) }, limits.readDeadlineMs * 4).catch((error: Error) => error),
    ),
  );
  const wires = new Map<string, BankAuditWire | Error>(names.map((name, i) => [name, answers[i]!]));
  let totalMinor = 0n;
  let loadedMinor = 0n;
  const pendingHolds: BankAuditWire["open_pending"] = [];
  for (const wire of answers) {
    if (wire instanceof Error) continue;
    totalMinor += minorFromWire(wire.balance_sum_minor);
    loadedMinor += minorFromWire(wire.loaded_total_minor);
    pendingHolds.push(...wire.open_pending);
  }
  totalMinor += await inTransitMinor(store, pendingHolds);
  // Counted only when it matters: it reads every payment.
  const decidedMeanwhile = totalMinor === loadedMinor ? 0 : await store.countDecidedSince(startedAtMs);
  return { wires, totalMinor, loadedMinor, decidedMeanwhile };
}

/** A bank's row when it could not be read. */
function unreadRow(bank: string): AuditReport["banks"][number] {
  return { bank, reachable: false, balance_sum_minor: "0", loaded_total_minor: "0", open_holds: 0, open_holds_minor: "0", in_doubt: 0, negative_balances: 0, committed: 0, error: "" };
}

function unreadBanks(snapshot: Snapshot): number {
  let unread = 0;
  for (const wire of snapshot.wires.values()) if (wire instanceof Error) unread += 1;
  return unread;
}

/** Pending holds whose transaction the coordinator committed: posted elsewhere, not yet here. */
async function inTransitMinor(store: GatewayStore, open: BankAuditWire["open_pending"]): Promise<bigint> {
  const decisions = await store.decisionsOf(open.map((row) => row.txid));
  let transitMinor = 0n;
  for (const row of open) if (decisions.get(row.txid) === "COMMIT") transitMinor += minorFromWire(row.delta_minor);
  return transitMinor;
}

/**
 * No payment's succeeded refunds exceed it; each payment's reservation is
 * the total of its refunds not aborted; each refund goes back the way its
 * succeeded original came. (That each succeeded refund moved money once at
 * both banks is the ledger walk's: a refund is a transaction like any payment.)
 */
async function refundViolations(store: GatewayStore): Promise<string[]> {
  const violations: string[] = [];
  for (const v of await store.refundViolations(auditLimits.listedMax)) {
    if (v.refundedMinor > v.amountMinor) violations.push(`payment ${v.paymentId}: refunds of ${formatMinor(v.refundedMinor)} succeeded, more than its amount ${formatMinor(v.amountMinor)}`);
    if (v.reservedMinor !== v.notAbortedMinor) violations.push(`payment ${v.paymentId}: ${formatMinor(v.reservedMinor)} reserved for refunds, but its refunds not aborted total ${formatMinor(v.notAbortedMinor)}`);
  }
  for (const id of await store.misdirectedRefunds(auditLimits.listedMax)) violations.push(`refund ${id} does not go back from its succeeded payment's payee to its payer`);
  return violations;
}

/** Every mismatch counted; the first few kept to show. */
class Mismatches {
  count = 0;
  readonly listed: string[] = [];

  add(mismatch: string): void {
    this.count += 1;
    if (this.listed.length < auditLimits.listedMax) this.listed.push(mismatch);
  }
}

/** A committed transaction in a bank's ledger, with what it moved on each account there. */
interface BankCommitted {
  id: string;
  legs: Leg[];
}

/**
 * Walks the gateway's committed payments at a bank and the bank's committed
 * transactions side by side, both sorted by id, a page of each at a time (so
 * memory stays one page, however long the history). A bank that committed
 * what the coordinator did not commit there is a violation; a committed
 * payment whose phase two finished before the audit began but is missing at
 * the bank is one too; so is one the bank committed with other amounts or
 * accounts than the gateway recorded. Throws when a ledger is longer than
 * the walk's bound.
 */
async function compareLedger(store: GatewayStore, banks: BankLinks, bank: string, startedAtMs: number, pageSize: number, mismatches: Mismatches): Promise<void> {
  const atBank = pagedRows((afterId) => bankCall(banks, bank, "ListCommitted", { after_txid: afterId, limit: pageSize }, limits.readDeadlineMs).then((reply) => bankCommittedOf(bank, reply)), pageSize);
  const atGateway = pagedRows((afterId) => store.listCommittedAt(bank, afterId, pageSize), pageSize);
  let committed = await atBank.next();
  let payment = await atGateway.next();
  // Bank ids the gateway's walk did not list: checked against its decisions in pages.
  let unlisted: string[] = [];
  const checkUnlisted = async () => {
    const committedHere = await store.committedAt(bank, unlisted);
    for (const txid of unlisted) if (!committedHere.has(txid)) mismatches.add(`${bank} committed ${txid}, which the gateway did not commit there`);
    unlisted = [];
  };
  while (committed.value !== undefined || payment.value !== undefined) {
    const b = committed.value;
    const g = payment.value;
    if (b !== undefined && (g === undefined || b.id < g.id)) {
      // Possibly committed after the gateway's page was read: its decision, read now, is later than the bank's commit.
      unlisted.push(b.id);
      if (unlisted.length >= pageSize) await checkUnlisted();
      committed = await atBank.next();
    } else if (g !== undefined && (b === undefined || g.id < b.id)) {
      // Only payments finished before the audit began: a later one may have been committed after the bank was listed.
      if (g.phaseTwoDoneAtMs != null && g.phaseTwoDoneAtMs < startedAtMs) mismatches.add(`payment ${g.id} succeeded and finished, but ${bank} has no committed transaction for it`);
      payment = await atGateway.next();
    } else {
      compareLegs(bank, g!, b!, mismatches);
      committed = await atBank.next();
      payment = await atGateway.next();
    }
  }
  await checkUnlisted();
}

/** A bank's ledger page as the walk reads it (a bank's answer is input: an amount that is not an integer throws). */
export function bankCommittedOf(bank: string, reply: Reply<"Bank", "ListCommitted">): BankCommitted[] {
  if (reply.transactions.length === 0 && reply.txids.length > 0) throw new AppError(Code.FailedPrecondition, `bank ${bank} answers its ledger with ids only (a ministripe from before the audit compared amounts): upgrade it to audit it`);
  return reply.transactions.map((tx) => ({ id: tx.txid, legs: tx.legs.map((leg) => ({ account: leg.account, deltaMinor: minorFromWire(leg.delta_minor) })) }));
}

/** A payment committed on both sides moved, at this bank, exactly what the gateway recorded: the same amount, on the same accounts, the same way. */
function compareLegs(bank: string, payment: CommittedPayment, committed: BankCommitted, mismatches: Mismatches): void {
  const recorded = legsAt(payment, bank);
  if (!sameLegs(committed.legs, recorded)) mismatches.add(`payment ${payment.id}: ${bank} moved ${legsInWords(committed.legs)}, but the gateway recorded ${legsInWords(recorded)}`);
}

/** Legs in words, in account order (for a mismatch's line only). */
function legsInWords(legs: Leg[]): string {
  if (legs.length === 0) return "nothing";
  return [...legs]
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0))
    .map((leg) => (leg.deltaMinor < 0n ? `${formatMinor(-leg.deltaMinor)} from account ${leg.account}` : `${formatMinor(leg.deltaMinor)} to account ${leg.account}`))
    .join(" and ");
}

/**
 * The rows one `readPage(afterId)` after another returns, one page in memory.
 * Each id must sort after the one before (the merge walk depends on it).
 */
async function* pagedRows<Row extends { id: string }>(readPage: (afterId: string) => Promise<Row[]>, pageSize: number): AsyncGenerator<Row, undefined> {
  let afterId = "";
  for (let page = 0; page < auditLimits.ledgerPagesMax; page++) {
    const rows = await readPage(afterId);
    for (const row of rows) {
      // A bank's answer is input, not an invariant of this process: handled, not asserted.
      if (!(row.id > afterId)) throw new AppError(Code.Internal, `ledger ids out of order (${row.id} after ${afterId})`);
      afterId = row.id;
      yield row;
    }
    if (rows.length < pageSize) return;
  }
  throw new AppError(Code.ResourceExhausted, `ledger longer than ${auditLimits.ledgerPagesMax} pages of ${pageSize}`);
}
