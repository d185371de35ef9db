// The gateway's gRPC services: Gateway (users), Admin (operators) and
// Coordinator (banks). Thin: parse the wire, call the domain, shape the reply.
import { AppError, Code, invalid } from "../lib/errors";
import { idempotencyKeyField, isTransactionId, noteTextField, transactionIdField, usernameField } from "../lib/fields";
import { limits, securityLimits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { timedPhase } from "../lib/phase-timing";
import { minorFieldFromWire, validateAmountMinor } from "../lib/money";
import { serverStream, unary, type CallContext } from "../rpc/server";
import type { BankStats, GetStatsResponse, PayRequestReceived, RefundRequestReceived, Whole } from "../rpc/wire/messages";
import type { Handlers } from "../rpc/wire/services";
import type { PaymentRow } from "../store/gateway-store";
import { audit } from "./audit";
import type { BankLinks } from "./bank-links";
import type { Coordinator } from "./coordinator";
import type { Payments, PayInput } from "./payments";
import type { RefundInput, Refunds } from "./refunds";
import type { Users } from "./users";
import type { PaymentWatches } from "./watches";
import type { PaymentStats } from "./stats";
import { paymentToWire } from "./wire";
import type { GatewayStore } from "../store/gateway-store";

export interface GatewayServiceDeps {
  users: Users;
  watches: PaymentWatches;
  payments: Payments;
  refunds: Refunds;
  coordinator: Coordinator;
  banks: BankLinks;
  store: GatewayStore;
  log: Logger;
  inDoubtAfterMs: number;
  stats: PaymentStats;
  currency: string;
  nowMs: () => number;
}

function userOf(context: CallContext): string {
  if (!context.user) throw new AppError(Code.Unauthenticated, "log in first");
  return context.user;
}

/** A string field off the wire: proto3 reads an absent one as "" (and a hand-made request may carry anything). */
function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function text(value: unknown, field: string, lengthMax: number): string {
  const s = stringOf(value);
  if (s.length > lengthMax) throw invalid(field, `at most ${lengthMax} characters`);
  return s;
}

export function gatewayService(deps: GatewayServiceDeps): Handlers<"Gateway"> {
  const { users, payments, log } = deps;
  return {
    Register: unary(log, async (req, ctx) => {
      const user = await users.register(
        { username: text(req.username, "username", limits.usernameLengthMax), password: text(req.password, "password", limits.passwordLengthMax), bank: text(req.bank, "bank", limits.bankNameLengthMax), account: text(req.account, "account", limits.accountLengthMax), accountPin: text(req.account_pin, "account_pin", limits.pinLengthMax) },
        ctx.requestId,
        ctx.peer,
      );
      return { username: user.username, bank: user.bank, account: user.account, holder: user.holder };
    }),
    Login: unary(log, async (req, ctx) => {
      const session = await users.login(
        { username: text(req.username, "username", limits.usernameLengthMax), password: text(req.password, "password", limits.passwordLengthMax), otp: text(req.otp, "otp", limits.otpLengthMax) },
        ctx.peer,
        ctx.peerCertSha256 ?? "",
      );
      return { token: session.token, expires_at_ms: String(session.expiresAtMs), username: session.username };
    }),
    Logout: unary(log, async (_req, ctx) => {
      await users.logout(ctx.tokenHash!);
      return {};
    }),
    ChangePassword: unary(log, async (req, ctx) => ({
      sessions_revoked: await users.changePassword(userOf(ctx), text(req.old_password, "old_password", limits.passwordLengthMax), text(req.new_password, "new_password", limits.passwordLengthMax), ctx.peer),
    })),
    EnableMfa: unary(log, async (req, ctx) => {
      const mfa = await users.enableMfa(userOf(ctx), text(req.password, "password", limits.passwordLengthMax), text(req.otp, "otp", limits.otpLengthMax), ctx.peer);
      return { secret: mfa.secret, otpauth_uri: mfa.uri };
    }),
    ConfirmMfa: unary(log, async (req, ctx) => {
      await users.confirmMfa(userOf(ctx), text(req.password, "password", limits.passwordLengthMax), text(req.otp, "otp", limits.otpLengthMax), ctx.peer);
      return {};
    }),
    DisableMfa: unary(log, async (req, ctx) => {
      await users.disableMfa(userOf(ctx), text(req.password, "password", limits.passwordLengthMax), text(req.otp, "otp", limits.otpLengthMax), ctx.peer);
      return {};
    }),
    GetBalance: unary(log, async (_req, ctx) => {
      const user = await users.requireUser(userOf(ctx));
      const balance = await deps.banks.get(user.bank).balance(user.account, ctx.requestId);
      return { bank: user.bank, account: user.account, balance_minor: balance.balanceMinor.toString(), available_minor: balance.availableMinor.toString(), currency: balance.currency };
    }),
    Pay: unary(log, async (req, ctx) => {
      // The payer is the session's user: the request has no field that could name another.
      const outcome = await timedPhase("pay.total", () => payments.pay(userOf(ctx), payInput(req), ctx.requestId));
      return { payment: paymentToWire(outcome.payment), replayed: outcome.replayed };
    }),
    Refund: unary(log, async (req, ctx) => {
      // The refunder is the session's user; Refunds checks they are the payee.
      const outcome = await deps.refunds.refund(userOf(ctx), refundInput(req), ctx.requestId);
      return { refund: paymentToWire(outcome.refund), replayed: outcome.replayed, original: await withRefunds(deps.store, outcome.original) };
    }),
    GetPayment: unary(log, async (req, ctx) => {
      const row = await payments.get(userOf(ctx), idOrKeyField(req.id_or_key));
      return paymentToWire(row, { ...(await refundedOf(deps.store, [row])).get(row.id), refunds: await deps.store.refundsOf(row.id, limits.refundsListedMax) });
    }),
    ListPayments: unary(log, async (req, ctx) => ({
      payments: await listToWire(deps.store, await payments.list(userOf(ctx), text(req.before_id, "before_id", securityLimits.beforeIdLengthMax), req.limit ?? 0)),
    })),
    WatchPayments: serverStream(log, async (_req: unknown, ctx, out, ended) => {
      const stream = { send: (row: PaymentRow) => out.write(paymentToWire(row)), waiting: out.waiting, cut: out.cut };
      await deps.watches.watch(userOf(ctx), ctx.tokenHash!, stream, ended, payments.stopped);
    }),
  };
}

export function adminService(deps: GatewayServiceDeps): Handlers<"Admin"> {
  return {
    Audit: unary(deps.log, () => audit(deps.store, deps.banks, deps.inDoubtAfterMs, { nowMs: deps.nowMs, currency: deps.currency })),
    ListAllPayments: unary(deps.log, async (req) => ({
      payments: await listToWire(deps.store, await deps.payments.list(undefined, text(req.before_id, "before_id", securityLimits.beforeIdLengthMax), req.limit ?? 0)),
    })),
    FindPayments: unary(deps.log, async (req) => {
      const query = text(req.query, "query", limits.idempotencyKeyLengthMax).trim();
      if (query === "") throw invalid("query", "a payment id, an idempotency key or a username");
      return { payments: await listToWire(deps.store, await deps.payments.find(query, text(req.before_id, "before_id", securityLimits.beforeIdLengthMax), req.limit ?? 0)) };
    }),
    GetStats: unary(deps.log, async (req, ctx) => stats(deps, req.banks === true, ctx.requestId)),
  };
}

async function stats(deps: GatewayServiceDeps, withBanks: boolean, requestId: string): Promise<Whole<GetStatsResponse>> {
  // Holds and in-doubt counts only when asked and answered; the rest as the wire's defaults.
  const unread = { open_holds: 0, open_holds_minor: "0", in_doubt: 0, error: "" };
  const banks = await Promise.all(
    deps.banks.names().map(async (bank): Promise<Whole<BankStats>> => {
      if (!withBanks) return { bank, reachable: false, ...unread };
      try {
        const holds = await deps.banks.get(bank).holds(deps.inDoubtAfterMs, requestId);
        return { bank, reachable: true, open_holds: holds.open_holds, open_holds_minor: holds.open_holds_minor, in_doubt: holds.in_doubt, error: "" };
      } catch (error) {
        return { bank, reachable: false, ...unread, error: (error as Error).message };
      }
    }),
  );
  const { stats } = deps;
  return {
    started_at_ms: String(stats.startedAtMs),
    now_ms: String(deps.nowMs()),
    payments_succeeded: String(stats.succeeded),
    payments_failed: String(stats.failed),
    latency_ms_sum: String(stats.latencyMsSum),
    banks,
    currency: deps.currency,
  };
}

export function coordinatorService(deps: GatewayServiceDeps): Handlers<"Coordinator"> {
  return {
    GetDecision: unary(deps.log, async (req) => {
      const txids: string[] = Array.isArray(req.txids) ? req.txids : [];
      if (txids.length > limits.txidsPerDecisionQueryMax) throw invalid("txids", `at most ${limits.txidsPerDecisionQueryMax}`);
      if (txids.some((txid) => typeof txid !== "string" || !isTransactionId(txid))) throw invalid("txids", `transaction ids of 1-${limits.transactionIdLengthMax} letters, digits, _ or -`);
      return { decisions: await deps.coordinator.decisionsFor(txids) };
    }),
  };
}

/** The refunded total of each payment that has a refund not aborted (only those can have succeeded ones). */
async function refundedOf(store: GatewayStore, rows: PaymentRow[]): Promise<Map<string, { refundedMinor: bigint }>> {
  const totals = await store.refundedTotals(rows.filter((row) => row.refundReservedMinor > 0n).map((row) => row.id));
  return new Map([...totals].map(([id, refundedMinor]) => [id, { refundedMinor }]));
}

async function withRefunds(store: GatewayStore, row: PaymentRow) {
  return paymentToWire(row, (await refundedOf(store, [row])).get(row.id));
}

async function listToWire(store: GatewayStore, rows: PaymentRow[]) {
  const refunded = await refundedOf(store, rows);
  return rows.map((row) => paymentToWire(row, refunded.get(row.id)));
}

/** Every field of a Refund checked at the edge, each violation naming its field. */
function refundInput(req: RefundRequestReceived): RefundInput {
  const idempotencyKey = keyField(req.idempotency_key);
  const paymentId = transactionIdField(text(req.payment_id, "payment_id", securityLimits.beforeIdLengthMax), "payment_id", "a payment id");
  const reason = noteTextField(stringOf(req.reason), "reason");
  if (req.all_remaining === true) {
    if (minorFieldFromWire(req.amount_minor, "amount_minor") !== 0n) throw invalid("amount_minor", "must be 0 when all_remaining is set");
    return { idempotencyKey, paymentId, amountMinor: "all", reason };
  }
  return { idempotencyKey, paymentId, amountMinor: amountField(req.amount_minor), reason };
}

/** Every field of a Pay checked at the edge, each violation naming its field. */
function payInput(req: PayRequestReceived): PayInput {
  const idempotencyKey = keyField(req.idempotency_key);
  const toUsername = usernameField(text(req.to_username, "to_username", limits.usernameLengthMax), "to_username", "a username such as bob");
  const note = noteTextField(stringOf(req.note), "note");
  return { idempotencyKey, toUsername, amountMinor: amountField(req.amount_minor), note };
}

/** A Pay's or a Refund's key: one too long is told so, any other refused by the key's rule. */
function keyField(value: unknown): string {
  return idempotencyKeyField(text(value, "idempotency_key", limits.idempotencyKeyLengthMax));
}

/** A payment's id or its payer's idempotency key: GetPayment looks up either. */
function idOrKeyField(value: unknown): string {
  const idOrKey = text(value, "id_or_key", limits.idempotencyKeyLengthMax);
  if (idOrKey === "") throw invalid("id_or_key", "a payment id or idempotency key");
  return idOrKey;
}

function amountField(value: unknown): bigint {
  const amountMinor = minorFieldFromWire(value, "amount_minor");
  validateAmountMinor(amountMinor, "amount_minor");
  return amountMinor;
}
