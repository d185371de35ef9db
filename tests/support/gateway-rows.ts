// Rows that tests write straight into a gateway store: a user, and payments
// from alice (hdfc 1001) to bob (icici 2001) with fresh ids and keys.
import type { NewPaymentRow, User } from "../../src/store/gateway-store";

export function userRow(username: string, bank: string, account: string): User {
  return { username, bank, account, passwordHash: `hash-${username}`, totpSecret: null, totpLastStep: null, totpPendingSecret: null, createdAtMs: 1_000, passwordChangedAtMs: 1_000 };
}

/** Makes new payment rows: the nth gets id `idOf(n)`, a fresh key, and a creation time that grows with n; `over` changes any field. */
export function paymentRows(idOf: (n: number) => string): (over?: Partial<NewPaymentRow>) => NewPaymentRow {
  let made = 0;
  return (over = {}) => {
    made++;
    return {
      id: idOf(made),
      payer: "alice",
      idempotencyKey: crypto.randomUUID(),
      fingerprint: "f",
      payee: "bob",
      payerBank: "hdfc",
      payerAccount: "1001",
      payeeBank: "icici",
      payeeAccount: "2001",
      amountMinor: 10_000n,
      currency: "INR",
      note: "",
      requestId: "r",
      createdAtMs: 2_000 + made,
      ...over,
    };
  };
}
