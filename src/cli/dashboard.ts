import { AppError, Code } from "../lib/errors";
import { currencyField } from "../lib/fields";
import { connect } from "../rpc/channel";
import { loadCertFolder } from "../rpc/credentials";
import { AdminView } from "../dashboard/admin-view";
import { isLoopbackHost } from "../dashboard/guard";
import { startDashboard, type View } from "../dashboard/server";
import { UserView } from "../dashboard/user-view";
import { clientFlags, openClient, requireSession, type ClientContext } from "./support/client-context";
import { intFlag, str, type Command } from "./support/flags";
import { runUntilSignal } from "./support/serve";
import { printJson, say, warn } from "./support/output";

export const dashboardCommand: Command = {
  name: "dashboard",
  usage: "dashboard [--port 8080] [--host 127.0.0.1] [--gateway HOST:PORT] [--certs DIR] [--home DIR]",
  summary: "A web page for the identity of the certificate: the admin's system view, or a user's balance, payments and pay form.",
  flags: {
    port: { type: "string", help: "port to serve the page on (0: any)", default: "8080" },
    host: { type: "string", help: "address to listen on (anything but 127.0.0.1 lets other machines try)", default: "127.0.0.1" },
    currency: { type: "string", help: "the deployment's currency, shown on queued payments", default: "INR" },
    ...clientFlags,
  },
  async run(flags) {
    const host = str(flags, "host")!;
    const port = intFlag(flags, "port", 8080, 0, 65535);
    const ctx = openClient(flags);
    try {
      const view = viewFor(ctx, currencyField(str(flags, "currency")!, "--currency"));
      const dashboard = startDashboard({ host, port, view, log: ctx.log });
      if (ctx.json) printJson({ url: dashboard.url, port: dashboard.port, view: view.kind, host });
      else say(`dashboard (${view.kind} view, ${view.identity}) at ${dashboard.url}`);
      // The latest audit is there when the admin view first opens.
      if (view.kind === "admin") void view.admin.runAudit(Date.now());
      if (!isLoopbackHost(host)) warn(`listening on ${host}, not only 127.0.0.1: anyone who can reach this address and has the token can use the dashboard`);
      return await runUntilSignal(() => dashboard.stop(), ctx.log);
    } finally {
      ctx.close();
    }
  },
};

/** The admin certificate gets the system view; a client certificate with a saved session gets that user's. */
function viewFor(ctx: ClientContext, currency: string): View {
  const certs = loadCertFolder(ctx.certsDir);
  const identity = `${certs.identity.role} certificate "${certs.identity.name}"`;
  if (certs.identity.role === "admin") {
    const health = connect("Health", ctx.client.address.split(",")[0]!, { certs, expect: { role: "gateway", name: "gateway" }, log: ctx.log });
    return { kind: "admin", admin: new AdminView(ctx.client, health), identity };
  }
  if (certs.identity.role !== "client") throw new AppError(Code.PermissionDenied, `--certs: ${ctx.certsDir} holds a ${certs.identity.role} certificate; the dashboard takes the admin's or a client's`);
  const session = requireSession(ctx);
  return { kind: "user", user: new UserView({ client: ctx.client, outbox: ctx.outbox, store: ctx.store, session, home: ctx.home, log: ctx.log, currency }), identity };
}
