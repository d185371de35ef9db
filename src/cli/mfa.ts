import { UsageError } from "./support/exit";
import { clientFlags, withClient, requireSession } from "./support/client-context";
import { bool, otpFlag, type Command } from "./support/flags";
import { printJson, say } from "./support/output";
import { readPassword } from "./support/password";

export const mfaCommand: Command = {
  name: "mfa",
  usage: "mfa enable|disable [--otp CODE] [--password-stdin]",
  summary: "Turns a second factor (TOTP, RFC 6238) on (prints a secret and an otpauth URI; login then needs --otp) or off. Once on, a new secret or turning it off needs the current code too.",
  positionals: 1,
  flags: {
    otp: { type: "string", value: "CODE", help: "the current one-time code: needed when MFA is on (to replace its secret, or to turn it off)" },
    "password-stdin": { type: "boolean", help: "read the password from standard input" },
    ...clientFlags,
  },
  async run(flags, positionals) {
    const action = positionals[0];
    if (action !== "enable" && action !== "disable") throw new UsageError("usage: ministripe mfa enable|disable");
    const otp = otpFlag(flags);
    if (action === "disable" && !otp) throw new UsageError("mfa disable needs --otp CODE: the code your authenticator app shows now");
    const password = await readPassword(bool(flags, "password-stdin"));
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      if (action === "disable") {
        await ctx.client.call("DisableMfa", { password, otp }, { retry: false });
        if (ctx.json) printJson({ mfa: false });
        else say("second factor off: login needs only the password now");
        return 0;
      }
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
