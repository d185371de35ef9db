import { clientFlags, withClient, requireSession } from "./support/client-context";
import { bool, type Command } from "./support/flags";
import { plural } from "../lib/plural";
import { printJson, say } from "./support/output";
import { readPassword } from "./support/password";

export const passwdCommand: Command = {
  name: "passwd",
  usage: "passwd [--password-stdin]",
  summary: "Changes your password and ends every session (log in again). Env: MINISTRIPE_PASSWORD (old), MINISTRIPE_NEW_PASSWORD.",
  flags: { "password-stdin": { type: "boolean", help: "read the old, then the new password from standard input" }, ...clientFlags },
  async run(flags) {
    const oldPassword = await readPassword(bool(flags, "password-stdin"), "current password: ");
    const newPassword = await readPassword(bool(flags, "password-stdin"), "new password: ", "MINISTRIPE_NEW_PASSWORD");
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      const result = await ctx.client.call("ChangePassword", { old_password: oldPassword, new_password: newPassword }, { retry: false });
      ctx.home.clearSession();
      if (ctx.json) printJson(result);
      else say(`password changed; ${plural(result.sessions_revoked, "session")} ended. Log in again.`);
      return 0;
    });
  },
};
