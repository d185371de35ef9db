// What a payment moves at each bank, in one place: the coordinator asks the
// banks to prepare these legs, and the audit checks the banks' ledgers moved
// exactly these.
import type { PaymentRow } from "../store/gateway-store";

/** What a payment moves on one account at one bank: negative debits, positive credits. */
export interface Leg {
  account: string;
  deltaMinor: bigint;
}

export type PaymentParties = Pick<PaymentRow, "amountMinor" | "payerBank" | "payerAccount" | "payeeBank" | "payeeAccount">;

/** The banks a payment touches: one when both accounts are there. */
export function banksOf(payment: PaymentParties): string[] {
  return payment.payerBank === payment.payeeBank ? [payment.payerBank] : [payment.payerBank, payment.payeeBank];
}

/** A payment's legs at `bank`: the debit at the payer's bank, the credit at the payee's (both, debit first, when one bank holds both accounts). */
export function legsAt(payment: PaymentParties, bank: string): Leg[] {
  const legs: Leg[] = [];
  if (payment.payerBank === bank) legs.push({ account: payment.payerAccount, deltaMinor: -payment.amountMinor });
  if (payment.payeeBank === bank) legs.push({ account: payment.payeeAccount, deltaMinor: payment.amountMinor });
  return legs;
}

/** The same legs, in any order. */
export function sameLegs(a: Leg[], b: Leg[]): boolean {
  if (a.length !== b.length) return false;
  const byAccount = (x: Leg, y: Leg) => (x.account < y.account ? -1 : x.account > y.account ? 1 : 0);
  const sortedA = a.length > 1 ? [...a].sort(byAccount) : a;
  const sortedB = b.length > 1 ? [...b].sort(byAccount) : b;
  return sortedA.every((leg, i) => leg.account === sortedB[i]!.account && leg.deltaMinor === sortedB[i]!.deltaMinor);
}
