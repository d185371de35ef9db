import { clientFlags, withClient } from "./support/client-context";
import { bool, need, otpFlag, type Command } from "./support/flags";
import { formatTime, printJson, say } from "./support/output";
import { readPassword } from "./support/password";

export const loginCommand: Command = {
  name: "login",
  usage: "login --username U [--otp CODE] [--password-stdin]",
  summary: "Logs in and stores a session token (mode 0600) under the client home.",
  flags: {
    username: { type: "string", help: "your username" },
    otp: { type: "string", value: "CODE", help: "the current one-time code, once MFA is enabled" },
    "password-stdin": { type: "boolean", help: "read the password from standard input" },
    ...clientFlags,
  },
  async run(flags) {
    const username = need(flags, "username");
    const otp = otpFlag(flags);
    const password = await readPassword(bool(flags, "password-stdin"));
    return withClient(flags, async (ctx) => {
      const session = await ctx.client.call(
        "Login",
        { username, password, otp },
        { retry: true },
      );
      ctx.home.saveSession({ username: session.username, token: session.token, expiresAtMs: Number(session.expires_at_ms), gateway: ctx.client.address });
      const expiresAtMs = Number(session.expires_at_ms);
      if (ctx.json) printJson({ username: session.username, expires_at: new Date(expiresAtMs).toISOString() });
      else say(`logged in as ${session.username} until ${formatTime(expiresAtMs)}`);
      return 0;
    });
  },
};
