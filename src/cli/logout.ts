import { AppError, Code, printable, Reason, toAppError } from "../lib/errors";
import type { SavedSession } from "../client/home";
import { bool, type Command } from "./support/flags";
import { clientFlags, withClient, type ClientContext } from "./support/client-context";
import { errorText, formatTime, printJson, say } from "./support/output";

export const logoutCommand: Command = {
  name: "logout",
  usage: "logout [--forget]",
  summary: "Ends the session at the gateway and forgets the token.",
  flags: {
    forget: { type: "boolean", help: "forget the token here even when the gateway cannot end the session (it stays valid there until it expires)" },
    ...clientFlags,
  },
  async run(flags) {
    return withClient(flags, async (ctx) => {
      if (ctx.session) {
        const ended = await endAtGateway(ctx, ctx.session);
        if (ended !== "ended") {
          // Not confirmed: the token still opens the account until it expires.
          // Kept (unless --forget), so that "logout" run again can end it.
          if (!bool(flags, "forget")) throw notEnded(ended, ctx.session);
          ctx.home.clearSession();
          if (ctx.json) printJson({ logged_out: false, forgotten: true, valid_until: new Date(ctx.session.expiresAtMs).toISOString() });
          // The gateway's words reach the terminal escaped, as every error line does.
          else say(printable(`forgot the session here, but the gateway did not end it (${errorText(ended)}): it stays valid there until ${formatTime(ctx.session.expiresAtMs)}`));
          return 0;
        }
      }
      ctx.home.clearSession();
      if (ctx.json) printJson({ logged_out: true });
      else say("logged out");
      return 0;
    });
  },
};

/**
 * "ended" when the gateway ended the session, or says it had ended already
 * (revoked, expired, unknown), or it has expired: either way the token opens
 * nothing. Any other answer, or none, is the error: the session may still be
 * valid there. So is a refusal because the session was opened over another
 * client certificate (this home's was replaced): the session is alive, and
 * whoever has the old certificate's key can still use it.
 */
async function endAtGateway(ctx: ClientContext, session: SavedSession): Promise<"ended" | AppError> {
  try {
    // Safe to send again: ending an ended session changes nothing (and is UNAUTHENTICATED, below).
    await ctx.client.call("Logout", {}, { retry: true });
    return "ended";
  } catch (error) {
    const appError = toAppError(error);
    if (appError.reason === Reason.OtherCertificate) {
      return new AppError(Code.Unauthenticated, `it was opened over another client certificate than ${ctx.certsDir}'s, and only that one can end it (or "ministripe passwd", which ends every session of the user)`, undefined, Reason.OtherCertificate);
    }
    if (appError.code === Code.Unauthenticated) {
      ctx.log.info({ event: "logout.session_gone", user: session.username, err: appError.message }, "the gateway no longer accepted the session");
      return "ended";
    }
    // Expired by this machine's clock: the token opens nothing whether the gateway was told or not.
    if (session.expiresAtMs <= Date.now()) return "ended";
    return appError;
  }
}

/** One line: what failed, that the session is still valid and until when, and what to do; the exit code of the cause (4 when unreachable). */
function notEnded(cause: AppError, session: SavedSession): AppError {
  // Run again over this certificate it would fail again: the cause says what can end it.
  const again = cause.reason === Reason.OtherCertificate ? "" : ': run "ministripe logout" again';
  return new AppError(
    cause.code,
    `the session was not ended: ${cause.message}; it stays valid at the gateway until ${formatTime(session.expiresAtMs)}${again} (or "ministripe logout --forget" to forget it here only)`,
    cause,
  );
}
