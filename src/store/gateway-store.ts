// The gateway's store as the gateway sees it: users, sessions, payments (also
// the coordinator's log), whichever engine holds them. SQLite (one gateway,
// the default: gateway-sqlite.ts) and PostgreSQL (any number of gateways:
// gateway-postgres.ts) keep one contract, checked by one test suite
// (tests/gateway-store-engines.test.ts). Async because PostgreSQL is across
// a network; the SQLite engine answers from the same turn of the event loop.
//
// Durability is the engine's: a write whose promise resolved survives a
// crash of this process; a decision, a user or a session change survives a
// power cut too (fsynced, or committed with synchronous_commit=on).

import { AppError, Code, Reason } from "../lib/errors";

export type Decision = "COMMIT" | "ABORT";

export interface User {
  username: string;
  bank: string;
  account: string;
  passwordHash: string;
  totpSecret: string | null;
  totpLastStep: number | null;
  /** A new secret waiting for its first code (mfa enable); totpSecret stays the one in force until then. */
  totpPendingSecret: string | null;
  createdAtMs: number;
  passwordChangedAtMs: number;
}

/** What a payment needs of a user: who and where their money is. */
export interface UserAccount {
  username: string;
  bank: string;
  account: string;
}

/** What a login checked: the user's password hash and MFA secret as it read them. */
export interface SessionCredentials {
  passwordHash: string;
  totpSecret: string | null;
}

export interface Session {
  tokenHash: string;
  username: string;
  createdAtMs: number;
  expiresAtMs: number;
  revokedAtMs: number | null;
  /** SHA-256 of the DER of the client certificate the session was opened over, hex. */
  certSha256: string;
}

export interface PaymentRow {
  id: string;
  payer: string;
  idempotencyKey: string | null;
  fingerprint: string;
  payee: string;
  payerBank: string;
  payerAccount: string;
  payeeBank: string;
  payeeAccount: string;
  amountMinor: bigint;
  currency: string;
  note: string;
  requestId: string;
  decision: Decision | null;
  failureCode: string | null;
  failureMessage: string | null;
  createdAtMs: number;
  decidedAtMs: number | null;
  phaseTwoDoneAtMs: number | null;
  /** On a refund: the payment it refunds. */
  refundOf: string | null;
  /** On a payment: its refunds' total that is not aborted (undecided or succeeded). */
  refundReservedMinor: bigint;
}

/** What the audit compares with a bank's ledger: how much a committed payment moved, from which account to which, and when it finished. */
export type CommittedPayment = Pick<PaymentRow, "id" | "amountMinor" | "payerBank" | "payerAccount" | "payeeBank" | "payeeAccount" | "phaseTwoDoneAtMs">;

/** What a new payment row carries; the rest is filled in as it is decided or refunded. */
export type NewPaymentRow = Omit<PaymentRow, "decision" | "failureCode" | "failureMessage" | "decidedAtMs" | "phaseTwoDoneAtMs" | "refundOf" | "refundReservedMinor">;

/** A refund to claim: its row (amount ignored when `allRemaining`) and the payment it refunds. */
export interface RefundClaim {
  row: NewPaymentRow;
  refundOf: string;
  allRemaining: boolean;
}

export type RefundClaimResult =
  | { kind: "claimed"; row: PaymentRow }
  /** The refunder used this key before (for a payment or a refund): the row holding it. */
  | { kind: "key_used"; row: PaymentRow }
  /** Less remains refundable than asked for: nothing was written. */
  | { kind: "exceeds"; remainingMinor: bigint };

/** A broken refund invariant the audit reports. */
export interface RefundViolation {
  paymentId: string;
  amountMinor: bigint;
  refundedMinor: bigint;
  reservedMinor: bigint;
  /** Refunds not aborted, as the refund rows add up. */
  notAbortedMinor: bigint;
}

export interface DecisionWrite {
  id: string;
  decision: Decision;
  failureCode: string | null;
  failureMessage: string | null;
  decidedAtMs: number;
}

export interface PaymentCounts {
  succeeded: number;
  failed: number;
  undecided: number;
  phaseTwoUnfinished: number;
}

export interface GatewayStore {
  /** "sqlite" or "postgres", for logs and for what only one engine can do. */
  readonly engine: "sqlite" | "postgres";

  // --- users and sessions -------------------------------------------------
  getUser(username: string): Promise<User | undefined>;
  userOfAccount(bank: string, account: string): Promise<User | undefined>;
  /** The banks registered users hold their accounts at (the audit: is every one of them given to this gateway?). */
  registeredBanks(): Promise<string[]>;
  /** A user's bank account: never changes once registered, so every engine may cache it (a payment reads two). */
  accountOf(username: string): Promise<UserAccount | undefined>;
  /** false when the username or the account is taken (the schema decides, not an if). */
  insertUser(user: User): Promise<boolean>;
  /** Sets the password and ends every open session of the user, in one transaction; the sessions ended. */
  changePassword(username: string, passwordHash: string, atMs: number): Promise<number>;
  /** null: MFA off. Either way the last used code step and any secret waiting for confirmation are forgotten. */
  setTotpSecret(username: string, secret: string | null): Promise<void>;
  /** A new secret waiting for its first code; the one in force (if any) stays until confirmTotp. */
  setTotpPending(username: string, secret: string): Promise<void>;
  /** The waiting `secret` comes into force, `step` (its first code's) used; false when it is no longer the one waiting. */
  confirmTotp(username: string, secret: string, step: number): Promise<boolean>;
  /** Records a TOTP time step as used; false when it (or a later one) was used already: a replayed code. */
  useTotpStep(username: string, step: number): Promise<boolean>;
  /**
   * Opens a session only while the user's password hash and MFA secret are
   * still those the login checked (`checked`); false, nothing written, when a
   * password change or an MFA change came in between: a session it would have
   * ended must not outlive it.
   */
  insertSession(session: Session, checked: SessionCredentials): Promise<boolean>;
  getSession(tokenHash: string): Promise<Session | undefined>;
  revokeSession(tokenHash: string, atMs: number): Promise<void>;
  pruneSessions(expiredBeforeAtMs: number): Promise<number>;

  // --- payments -----------------------------------------------------------
  getPayment(id: string): Promise<PaymentRow | undefined>;
  paymentByKey(payer: string, key: string): Promise<PaymentRow | undefined>;
  /**
   * Inserts the payment unless the payer already used this key; returns the
   * row that holds the key. Safe from a process crash when it resolves, not
   * necessarily from a power cut: presumed abort makes a lost claim harmless.
   */
  claim(row: NewPaymentRow): Promise<{ claimed: boolean; row: PaymentRow }>;
  /**
   * Records a decision unless one exists (durably) and returns the row with
   * the decision that stands; an ABORT of a refund gives its reservation
   * back in the same transaction. `undecided`, the row as the caller holds
   * it, saves reading it back. A payment with no row (its claim lost by the
   * database: claims do not wait for the flush) gets no decision: it is
   * UNAVAILABLE (claimLost), and presumed abort holds for it.
   */
  decide(write: DecisionWrite, undecided?: PaymentRow): Promise<PaymentRow>;
  markPhaseTwoDone(id: string, atMs: number): Promise<void>;

  // --- refunds ------------------------------------------------------------
  /**
   * Claims a refund: its key, its row and its reservation of the original's
   * remainder in one transaction, so racing refunds (on any gateway) never
   * together reserve more than the payment's amount. Like a claim, safe from
   * a process crash when it resolves.
   */
  claimRefund(claim: RefundClaim): Promise<RefundClaimResult>;
  /** A payment's refunds, newest first. */
  refundsOf(paymentId: string, limit: number): Promise<PaymentRow[]>;
  /** The total of each payment's SUCCEEDED refunds (absent: none). */
  refundedTotals(paymentIds: string[]): Promise<Map<string, bigint>>;
  /** Payments whose succeeded refunds exceed them, or whose reservation is not the total of their refunds not aborted (a scan, for the audit). */
  refundViolations(limit: number): Promise<RefundViolation[]>;
  /** Refunds that do not mirror their original (not a succeeded payment, or other parties or accounts). */
  misdirectedRefunds(limit: number): Promise<string[]>;

  /** Undecided payments created before the cut-off, oldest first. */
  listUndecided(createdBeforeAtMs: number, limit: number): Promise<PaymentRow[]>;
  /** Decided payments some participant has not acknowledged, in (decided_at, id) order after a cursor. */
  listPhaseTwoUnfinished(after: { decidedAtMs: number; id: string } | undefined, limit: number): Promise<PaymentRow[]>;
  /** A user's payments, sent or received, newest first. */
  listPaymentsOf(username: string, beforeId: string | undefined, limit: number): Promise<PaymentRow[]>;
  listAllPayments(beforeId: string | undefined, limit: number): Promise<PaymentRow[]>;
  /** Payments whose id or idempotency key (of any payer) is `query`, or whose payer or payee it names; newest first. */
  findPayments(query: string, beforeId: string | undefined, limit: number): Promise<PaymentRow[]>;
  /** Committed payments touching a bank (what each moves, and where), in id order, after a cursor. */
  listCommittedAt(bank: string, afterId: string, limit: number): Promise<CommittedPayment[]>;
  /** The decision (or null, undecided) of each of `ids` that exists. */
  decisionsOf(ids: string[]): Promise<Map<string, Decision | null>>;
  /** Of `ids`, those the coordinator committed with `bank` as the payer's or the payee's bank. */
  committedAt(bank: string, ids: string[]): Promise<Set<string>>;
  /** Payments decided at or after `sinceAtMs` (a scan: for the audit, not a hot path). */
  countDecidedSince(sinceAtMs: number): Promise<number>;
  counts(): Promise<PaymentCounts>;
  /**
   * Forgets the keys of decided payments claimed more than `retentionMs` ago;
   * the payments stay. The age is judged by the database's clock where
   * several gateways share one (PostgreSQL: never by comparing machines'
   * clocks), else by `nowMs`, the one gateway's own clock (SQLite).
   */
  pruneKeys(retentionMs: number, nowMs: number): Promise<number>;

  /** Told the number of writes in each transaction, where the engine groups them (metrics). */
  observeWriteBatches?(onBatch: (size: number) => void): void;

  close(): Promise<void>;
}

/**
 * A decision for a payment whose row is gone: its claim was lost (PostgreSQL
 * crashed before the claim's WAL was flushed, or a power cut took SQLite's
 * unsynced claim). Nothing can be decided for it and no COMMIT was written, so
 * presumed abort holds: a bank that asks is told ABORT. Said as UNAVAILABLE,
 * never a refusal, so the client keeps the key and sends it again; the key is
 * free by then, and the resend is a payment of its own.
 */
export function claimLost(id: string): AppError {
  return new AppError(Code.Unavailable, `the payment's record (${id}) was lost by the gateway's database before it was decided; nothing moved: send it again with the same key`, undefined, Reason.SendAgain);
}
