import { UsageError } from "./support/exit";
import { clientFlags, withClient, requireSession } from "./support/client-context";
import { bool, otpFlag, type Command } from "./support/flags";
import { printJson, say } from "./support/output";
import { readPassword } from "./support/password";

export const mfaCommand: Command = {
  name: "mfa",
  usage: "mfa enable|confirm|disable [--otp CODE] [--password-stdin]",
  summary: "Turns a second factor (TOTP, RFC 6238) on or off. enable prints a secret and an otpauth URI for your authenticator app; confirm --otp CODE, with a code the app shows, turns it on (login then needs --otp). Once on, a new secret or turning it off needs the current code too.",
  positionals: 1,
  flags: {
    otp: { type: "string", value: "CODE", help: "the one-time code your authenticator app shows: to confirm a new secret, and when MFA is on (to replace its secret, or to turn it off)" },
    "password-stdin": { type: "boolean", help: "read the password from standard input" },
    ...clientFlags,
  },
  async run(flags, positionals) {
    const action = positionals[0];
    if (action !== "enable" && action !== "confirm" && action !== "disable") throw new UsageError("usage: ministripe mfa enable|confirm|disable");
    const otp = otpFlag(flags);
    if (action !== "enable" && !otp) throw new UsageError(`mfa ${action} needs --otp CODE: the code your authenticator app shows now`);
    const password = await readPassword(bool(flags, "password-stdin"));
    return withClient(flags, async (ctx) => {
      requireSession(ctx);
      if (action === "confirm") {
        await ctx.client.call("ConfirmMfa", { password, otp }, { retry: false });
        if (ctx.json) printJson({ mfa: true });
        else say("second factor on: from now on, log in with --otp CODE");
        return 0;
      }
      if (action === "disable") {
        await ctx.client.call("DisableMfa", { password, otp }, { retry: false });
        if (ctx.json) printJson({ mfa: false });
        else say("second factor off: login needs only the password now");
        return 0;
      }
      const mfa = await ctx.client.call("EnableMfa", { password, otp }, { retry: false });
      if (ctx.json) printJson(mfa);
      else {
        say("Add this to your authenticator app:");
        say(`  secret: ${mfa.secret}`);
        say(`  uri:    ${mfa.otpauth_uri}`);
        say("then turn the second factor on with: ministripe mfa confirm --otp CODE (the code the app shows); until then login is as before");
      }
      return 0;
    });
  },
};
