// The Bank gRPC service: wire messages in, participant calls, wire messages out.
import { AppError, Code, invalid } from "../lib/errors";
import { accountNumberField, transactionIdField } from "../lib/fields";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { timedPhase } from "../lib/phase-timing";
import { minorFieldFromWire } from "../lib/money";
import { unary } from "../rpc/server";
import type { PrepareItemReceived, TxRefReceived } from "../rpc/wire/messages";
import type { Handlers } from "../rpc/wire/services";
import type { BankStore } from "../store/bank-store";
import { Batcher } from "../lib/batcher";
import { checkAccountPin } from "./account-pins";
import type { Ack, Participant, PrepareItem, TxRef, Vote, Work, WorkResult } from "./participant";

export interface BankServiceDeps {
  bankName: string;
  currency: string;
  store: BankStore;
  participant: Participant;
  log: Logger;
  nowMs: () => number;
  /** Told the number of RPC batches in each transaction (metrics). */
  onBatch?: (size: number) => void;
}

export function bankService(deps: BankServiceDeps): Handlers<"Bank"> {
  const { store, participant, log } = deps;
  // The batches of the RPCs that arrive in one turn of the event loop (a
  // Prepare and a Commit from the gateway, often) share one transaction and one fsync.
  const work = new Batcher<Work, WorkResult>((grouped) => timedPhase("group.transaction", () => participant.apply(grouped)), {
    itemsMax: limits.groupedBatchesMax,
    inFlightMax: 1,
    queuedMax: limits.bankBatchesQueuedMax,
    whenFull: () => new AppError(Code.ResourceExhausted, `bank ${deps.bankName} is busy; try again shortly`),
  });
  work.onBatch = deps.onBatch;
  // Each kind of work answers its own kind: votes for prepares, acks for decisions.
  const prepared = (items: PrepareItem[]) => work.submit({ kind: "prepare", items }) as Promise<Vote[]>;
  const decided = (kind: "commit" | "abort", refs: TxRef[]) => work.submit({ kind, refs }) as Promise<Ack[]>;
  return {
    VerifyAccount: unary(log, async (req) => {
      const account = store.getAccount(accountField(req.account));
      if (!account) return { exists: false, holder: "", currency: deps.currency };
      await checkAccountPin({ bankName: deps.bankName, store, nowMs: deps.nowMs, log }, account.number, String(req.pin ?? ""));
      return { exists: true, holder: account.holder, currency: deps.currency };
    }),
    GetBalance: unary(log, (req) => {
      const number = accountField(req.account);
      const account = store.getAccount(number);
      if (!account) throw new AppError(Code.NotFound, `no account ${number} at bank ${deps.bankName}`);
      return {
        account: number,
        balance_minor: account.balanceMinor.toString(),
        available_minor: (account.balanceMinor - account.heldMinor).toString(),
        currency: deps.currency,
      };
    }),
    Prepare: unary(log, async (req) => ({ votes: await prepared(batch(req.items, "items").map(prepareItemFromWire)) })),
    Commit: unary(log, async (req) => ({ acks: await decided("commit", batch(req.txs, "txs").map(txRefFromWire)) })),
    Abort: unary(log, async (req) => ({ acks: await decided("abort", batch(req.txs, "txs").map(txRefFromWire)) })),
    Exchange: unary(log, async (req) => {
      const prepare = optionalBatch(req.prepare, "prepare").map(prepareItemFromWire);
      const commit = optionalBatch(req.commit, "commit").map(txRefFromWire);
      const abort = optionalBatch(req.abort, "abort").map(txRefFromWire);
      if (prepare.length + commit.length + abort.length === 0) throw invalid("exchange", "at least one transaction");
      // Submitted together, so they share one transaction, in this order:
      // decisions first, so a prepare sees the funds an abort or a commit
      // frees, and a prepare of an aborted txid meets its tombstone.
      const [abortAcks, commitAcks, votes] = await Promise.all([
        abort.length > 0 ? decided("abort", abort) : [],
        commit.length > 0 ? decided("commit", commit) : [],
        prepare.length > 0 ? prepared(prepare) : [],
      ]);
      return { votes, commit_acks: commitAcks, abort_acks: abortAcks };
    }),
    Audit: unary(log, (req) => {
      const totals = store.totals();
      const inDoubtAfterMs = Math.max(0, Number(req.in_doubt_after_ms || 0));
      return {
        bank: deps.bankName,
        balance_sum_minor: totals.balanceSumMinor.toString(),
        loaded_total_minor: store.getMeta("loaded_total_minor") ?? "0",
        open_holds: totals.openHolds,
        open_holds_minor: totals.openHoldsMinor.toString(),
        in_doubt_txids: store.listInDoubt(deps.nowMs() - inDoubtAfterMs, limits.recoveryScanRowsMax),
        negative_balances: totals.negativeBalances,
        negative_available: totals.negativeAvailable,
        committed: totals.committed,
        currency: deps.currency,
        open_pending: store.listPendingHolds(limits.pendingHoldsListedMax).map((row) => ({ txid: row.txid, delta_minor: row.deltaMinor.toString() })),
      };
    }),
    GetHolds: unary(log, (req) => {
      const open = store.countOpenHolds();
      const inDoubtAfterMs = Math.max(0, Number(req.in_doubt_after_ms || 0));
      return { open_holds: open.holds, open_holds_minor: open.heldMinor.toString(), in_doubt: store.countInDoubt(deps.nowMs() - inDoubtAfterMs) };
    }),
    ListCommitted: unary(log, (req) => {
      const limit = Math.min(Math.max(1, req.limit || limits.pageSizeMax), limits.ledgerPageSizeMax);
      // A full page (ledgerPageSizeMax transactions of at most two legs) stays under half of grpcMessageBytesMax.
      const committed = store.listCommitted(txidField(req.after_txid, true), limit);
      return { txids: [], transactions: committed.map((tx) => ({ txid: tx.txid, legs: tx.legs.map((leg) => ({ account: leg.account, delta_minor: leg.deltaMinor.toString() })) })) };
    }),
  };
}

function batch<T>(items: T[] | undefined, field: string): T[] {
  const list = optionalBatch(items, field);
  if (list.length === 0) throw invalid(field, "at least one transaction");
  return list;
}

function optionalBatch<T>(items: T[] | undefined, field: string): T[] {
  const list = items ?? [];
  if (list.length > limits.batchItemsMax) throw invalid(field, `at most ${limits.batchItemsMax} transactions`);
  return list;
}

function prepareItemFromWire(item: PrepareItemReceived): PrepareItem {
  const legs = item.legs ?? [];
  if (legs.length > 2) throw invalid("legs", "at most two legs");
  return {
    txid: txidField(item.txid),
    requestId: String(item.request_id ?? "").slice(0, limits.requestIdLengthMax),
    legs: legs.map((leg) => ({ account: accountField(leg.account), deltaMinor: minorFieldFromWire(leg.delta_minor, "delta_minor") })),
  };
}

function txRefFromWire(ref: TxRefReceived): TxRef {
  return { txid: txidField(ref.txid), requestId: String(ref.request_id ?? "").slice(0, limits.requestIdLengthMax) };
}

function txidField(value: unknown, emptyAllowed = false): string {
  const txid = String(value ?? "");
  if (emptyAllowed && txid === "") return txid;
  return transactionIdField(txid);
}

function accountField(value: unknown): string {
  return accountNumberField(String(value ?? ""));
}
