// Gateway replies as the page shows them: amounts formatted once, here.
import type { WirePayment } from "../client/outbox";
import { formatMinor, minorFromWire } from "../lib/money";

export function moneyText(amountMinor: string | number | undefined, currency: string): string {
  const text = formatMinor(minorFromWire(String(amountMinor ?? "0")));
  return currency ? `${currency} ${text}` : text;
}

/** A payment for the page: the wire fields plus its amounts as text. */
export function paymentView(p: WirePayment): Record<string, unknown> {
  const view: Record<string, unknown> = { ...p, amount: moneyText(p.amount_minor, p.currency) };
  // Refund totals: every payment from the gateway carries them (0 when none).
  view.refunded = moneyText(p.refunded_minor, p.currency);
  view.refundable = moneyText(p.refundable_minor, p.currency);
  delete view.refunds;
  return view;
}
