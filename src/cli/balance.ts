import { clientCommand, clientFlags, flushQueue, requireSession } from "./support/client-context";
import { money, say } from "./support/output";

export const balanceCommand = clientCommand({
  name: "balance",
  usage: "balance",
  summary: "Shows your balance and available funds (balance less holds of payments in progress).",
  flags: { ...clientFlags },
  async body(ctx) {
    requireSession(ctx);
    await flushQueue(ctx);
    const b = await ctx.client.call("GetBalance", {}, { retry: true });
    if (ctx.json) ctx.printJson({ ...b, balance: money(b.balance_minor), available: money(b.available_minor) });
    else say(`${b.bank} ${b.account}: balance ${money(b.balance_minor, b.currency)}, available ${money(b.available_minor, b.currency)}`);
    return 0;
  },
});
