// Gateway replies as the page shows them: amounts formatted once, here.
import type { CallSettings } from "../client/gateway-client";
import type { WirePayment } from "../client/outbox";
import { dashboardLimits } from "../lib/limits";
import { formatMoney } from "../lib/money";

/** A page's call to the gateway: one try on each gateway in turn, so it fails over past a dead one without a backoff. */
export const pageCall: CallSettings = { retry: false, failover: true, deadlineMs: dashboardLimits.callDeadlineMs };

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
