import { UsageError } from "./support/exit";
import { clientFlags, withClient, requireSession } from "./support/client-context";
import { bool, otpFlag, type Command } from "./support/flags";
import { printJson, say } from "./support/output";
import { readPassword } from "./support/password";

export const mfaCommand: Command = {
  name: "mfa",
  usage: "mfa enable [--otp CODE] [--password-stdin]",
  summary: "Turns on a second factor (TOTP, RFC 6238): prints a secret and an otpauth URI; login then needs --otp. Once on, a new secret needs the current code too.",
  positionals: 1,
  flags: {
    otp: { type: "string", value: "CODE", help: "the current one-time code: needed when MFA is on already (to replace its secret)" },
    "password-stdin": { type: "boolean", help: "read the password from standard input" },
    ...clientFlags,
  },
  async run(flags, positionals) {
    if (positionals[0] !== "enable") throw new UsageError("usage: ministripe mfa enable");
    const otp = otpFlag(flags);
    const password = await readPassword(bool(flags, "password-stdin"));
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      const mfa = await ctx.client.call("EnableMfa", { password, otp }, { retry: false });
      if (ctx.json) printJson(mfa);
      else {
        say(`second factor on. Add this to your authenticator app:`);
        say(`  secret: ${mfa.secret}`);
        say(`  uri:    ${mfa.otpauth_uri}`);
        say("from now on, log in with --otp CODE");
      }
      return 0;
    });
  },
};
