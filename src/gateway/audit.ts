// The auditor: every invariant of SPEC checked across the gateway and all banks.
// Money in transit (a payment committed at one bank, not yet at the other)
// is counted from the coordinator's decisions, so a live system audits clean.
import { limits } from "../lib/limits";
import { minorFromWire } from "../lib/money";
import { unaryCall } from "../rpc/channel";
import type { GatewayStore } from "../store/gateway-store";
import type { BankLinks } from "./bank-links";

interface BankAuditWire {
  bank: string;
  balance_sum_minor: string;
  loaded_total_minor: string;
  open_holds: number;
  open_holds_minor: string;
  in_doubt_txids: string[];
  negative_balances: number;
  negative_available: number;
  committed: number;
  currency: string;
  open_pending: { txid: string; delta_minor: string }[];
}

export interface AuditReport {
  banks: {
    bank: string;
    reachable: boolean;
    balance_sum_minor: string;
    loaded_total_minor: string;
    open_holds: number;
    open_holds_minor: string;
    in_doubt: number;
    negative_balances: number;
    committed: number;
    error: string;
  }[];
  total_minor: string;
  loaded_total_minor: string;
  payments_succeeded: number;
  payments_failed: number;
  payments_pending: number;
  phase_two_unfinished: number;
  mismatches: string[];
  violations: string[];
  ok: boolean;
  currency: string;
}

const mismatchesListedMax = 20;

/** Committed transaction ids read per page from a bank and from the gateway's store. */
const ledgerPageSizeDefault = 5_000;

export async function audit(store: GatewayStore, banks: BankLinks, inDoubtAfterMs: number, ledgerPageSize = ledgerPageSizeDefault): Promise<AuditReport> {
  const violations: string[] = [];
  const mismatches: string[] = [];
  const rows: AuditReport["banks"] = [];
  let totalMinor = 0n;
  let loadedMinor = 0n;
  let currency = "";
  const startedAtMs = Date.now();
  // Decisions are read once every bank has answered: a payment decided between
  // two banks' snapshots is then counted the same way at both.
  const openPending: BankAuditWire["open_pending"] = [];
  for (const name of banks.names()) {
    try {
      const wire = await unaryCall<unknown, BankAuditWire>(banks.get(name).client, "Audit", { in_doubt_after_ms: String(inDoubtAfterMs) }, { deadlineMs: limits.readDeadlineMs * 4 });
      totalMinor += minorFromWire(wire.balance_sum_minor);
      openPending.push(...wire.open_pending);
      loadedMinor += minorFromWire(wire.loaded_total_minor);
      currency ||= wire.currency;
      if (wire.negative_balances > 0) violations.push(`${name}: ${wire.negative_balances} negative balances`);
      if (wire.negative_available > 0) violations.push(`${name}: ${wire.negative_available} accounts with negative available funds`);
      if (wire.in_doubt_txids.length > 0) violations.push(`${name}: ${wire.in_doubt_txids.length} prepared transactions older than ${inDoubtAfterMs}ms`);
      mismatches.push(...(await compareLedger(store, banks, name, startedAtMs, ledgerPageSize)));
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
    } catch (error) {
      violations.push(`${name}: unreachable, cannot be audited`);
      rows.push({ bank: name, reachable: false, balance_sum_minor: "0", loaded_total_minor: "0", open_holds: 0, open_holds_minor: "0", in_doubt: 0, negative_balances: 0, committed: 0, error: (error as Error).message });
    }
  }
  totalMinor += inTransitMinor(store, openPending);
  if (totalMinor !== loadedMinor) violations.push(`total ${totalMinor} differs from the total first loaded ${loadedMinor}`);
  if (mismatches.length > 0) violations.push(`${mismatches.length} ledger mismatches between the gateway and the banks`);
  const counts = store.counts();
  return {
    banks: rows,
    total_minor: totalMinor.toString(),
    loaded_total_minor: loadedMinor.toString(),
    payments_succeeded: counts.succeeded,
    payments_failed: counts.failed,
    payments_pending: counts.pending,
    phase_two_unfinished: counts.phaseTwoUnfinished,
    mismatches: mismatches.slice(0, mismatchesListedMax),
    violations,
    ok: violations.length === 0,
    currency,
  };
}

/** Pending amounts whose transaction the coordinator committed: posted elsewhere, not yet here. */
function inTransitMinor(store: GatewayStore, open: BankAuditWire["open_pending"]): bigint {
  const decisions = store.decisionsOf(open.map((row) => row.txid));
  let transitMinor = 0n;
  for (const row of open) if (decisions.get(row.txid) === "COMMIT") transitMinor += minorFromWire(row.delta_minor);
  return transitMinor;
}

/**
 * Walks the gateway's committed payments at a bank and the bank's committed
 * transactions side by side, both sorted by id, a page of each at a time (so
 * memory stays one page, however long the history). A bank that committed
 * what the coordinator did not is a violation; a committed payment whose
 * phase two finished before the audit began but is missing at the bank is one too.
 */
async function compareLedger(store: GatewayStore, banks: BankLinks, bank: string, startedAtMs: number, pageSize: number): Promise<string[]> {
  const found: string[] = [];
  const atBank = pagedIds((afterId) => unaryCall<unknown, { txids: string[] }>(banks.get(bank).client, "ListCommitted", { after_txid: afterId, limit: pageSize }, { deadlineMs: limits.readDeadlineMs }).then((r) => r.txids), pageSize);
  const atGateway = pagedIds(async (afterId) => store.listCommittedAt(bank, afterId, pageSize), pageSize);
  let bankId = await atBank.next();
  let gatewayId = await atGateway.next();
  // Bank ids the gateway's walk did not list: checked against its decisions in pages.
  let unlisted: string[] = [];
  const checkUnlisted = () => {
    const decisions = store.decisionsOf(unlisted);
    for (const txid of unlisted) if (decisions.get(txid) !== "COMMIT") found.push(`${bank} committed ${txid}, which the gateway did not commit`);
    unlisted = [];
  };
  for (let steps = 0; steps < ledgerIdsWalkedMax && (bankId.value !== undefined || gatewayId.value !== undefined); steps++) {
    const b = bankId.value;
    const g = gatewayId.value;
    if (b !== undefined && (g === undefined || b < g)) {
      // Possibly committed after the gateway's page was read: its decision, read now, is later than the bank's commit.
      unlisted.push(b);
      if (unlisted.length >= pageSize) checkUnlisted();
      bankId = await atBank.next();
    } else if (g !== undefined && (b === undefined || g < b)) {
      const row = store.getPayment(g);
      // Only payments finished before the audit began: a later one may have been committed after the bank was listed.
      if (row?.phaseTwoDoneAtMs != null && row.phaseTwoDoneAtMs < startedAtMs) found.push(`payment ${g} succeeded and finished, but ${bank} has no committed transaction for it`);
      gatewayId = await atGateway.next();
    } else {
      bankId = await atBank.next();
      gatewayId = await atGateway.next();
    }
  }
  checkUnlisted();
  return found;
}

/** Both ledgers together hold at most this many ids the audit walks (10,000 pages of 5,000 each). */
const ledgerIdsWalkedMax = 2 * 10_000 * ledgerPageSizeDefault;

/** The ids one `readPage(afterId)` after another returns, in order, one page in memory. */
async function* pagedIds(readPage: (afterId: string) => Promise<string[]>, pageSize: number): AsyncGenerator<string, undefined> {
  let afterId = "";
  for (let page = 0; page < ledgerIdsWalkedMax / pageSize; page++) {
    const ids = await readPage(afterId);
    yield* ids;
    if (ids.length < pageSize) return;
    afterId = ids[ids.length - 1]!;
  }
}
