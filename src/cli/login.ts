import { clientFlags, flushQueue, withClient, type ClientContext } from "./support/client-context";
import { bool, need, otpFlag, type Command } from "./support/flags";
import { formatTime, say } from "./support/output";
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
      const replaced = ctx.session;
      const session = await ctx.client.call(
        "Login",
        { username, password, otp },
        { retry: true },
      );
      const saved = { username: session.username, token: session.token, expiresAtMs: Number(session.expires_at_ms), gateway: ctx.client.address };
      ctx.home.saveSession(saved);
      // Only where it was opened: an old token is never shown to another deployment's gateway.
      if (replaced && replaced.token !== session.token && replaced.gateway === ctx.client.address) await endReplaced(ctx, replaced.token, session.token);
      const expiresAtMs = Number(session.expires_at_ms);
      if (!ctx.json) say(`logged in as ${session.username} until ${formatTime(expiresAtMs)}`);
      // What waited in the queue for a login is sent now (SPEC: by the next client command), and told.
      ctx.session = saved;
      ctx.client.token = session.token;
      // The login stands whatever becomes of that: what is not sent now stays queued for the next command.
      await flushQueue(ctx).catch((error: Error) => ctx.log.info({ event: "login.queue_not_sent", err: error.message }, "the queue stays for the next command"));
      if (ctx.json) ctx.printJson({ username: session.username, expires_at: new Date(expiresAtMs).toISOString() });
      return 0;
    });
  },
};

/**
 * The session this home held before, ended at the gateway: the home keeps one
 * token, so the old one would otherwise stay valid, unused, until it expired.
 * Best effort: the new session is saved already, and an old token the gateway
 * could not be told about only expires as before.
 */
async function endReplaced(ctx: ClientContext, oldToken: string, newToken: string): Promise<void> {
  ctx.client.token = oldToken;
  try {
    await ctx.client.call("Logout", {}, { retry: false, failover: true });
  } catch (error) {
    ctx.log.info({ event: "login.replaced_session_not_ended", err: (error as Error).message }, "the replaced session stays valid until it expires");
  } finally {
    ctx.client.token = newToken;
  }
}
