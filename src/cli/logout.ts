import { clientFlags, withClient } from "./support/client-context";
import type { Command } from "./support/flags";
import { printJson, say } from "./support/output";

export const logoutCommand: Command = {
  name: "logout",
  usage: "logout",
  summary: "Ends the session at the gateway and forgets the token.",
  flags: { ...clientFlags },
  async run(flags) {
    return withClient(flags, async (ctx) => {
      if (ctx.session) {
        // The token is forgotten locally even if the gateway cannot be told;
        // it then simply expires.
        await ctx.client.call("Logout", {}, { retry: true }).catch(() => undefined);
      }
      ctx.home.clearSession();
      if (ctx.json) printJson({ logged_out: true });
      else say("logged out");
      return 0;
    });
  },
};
