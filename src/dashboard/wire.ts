// Gateway replies as the page shows them: amounts formatted once, here.
import type { WirePayment } from "../client/outbox";
import { formatMoney } from "../lib/money";

export const moneyText: (amountMinor: string | number | undefined, currency: string) => string = formatMoney;

/** A payment for the page: the wire fields plus its amounts as text. */
export function paymentView(p: WirePayment): Record<string, unknown> {
  const view: Record<string, unknown> = { ...p, amount: moneyText(p.amount_minor, p.currency) };
  // Refund totals: every payment from the gateway carries them (0 when none).
  view.refunded = moneyText(p.refunded_minor, p.currency);
  view.refundable = moneyText(p.refundable_minor, p.currency);
  delete view.refunds;
  return view;
}
