// What every client command shares: the home, the gateway connection, the
// saved session, the outbox, and sending what is queued before the command.
import { existsSync } from "node:fs";
import { GatewayClient } from "../../client/gateway-client";
import { ClientHome, type SavedSession } from "../../client/home";
import { Outbox, replayNote, type SendOutcome } from "../../client/outbox";
import { AppError, Code } from "../../lib/errors";
import { limits, offlineLimits } from "../../lib/limits";
import { createLogger, parseLogLevel, type Logger } from "../../lib/log";
import { openFilesWarning } from "../../lib/private-files";
import { parseAddress } from "../../rpc/channel";
import { loadCertFolder } from "../../rpc/credentials";
import { ClientStore, type OutboxEntry } from "../../store/client-store";
import { bool, str, type Command, type FlagSpecs, type Flags } from "./flags";
import { UsageError } from "./exit";
import { errorText, money, printJson, warn } from "./output";

export const clientFlags: FlagSpecs = {
  gateway: { type: "string", value: "HOST:PORT", help: "the gateway HOST:PORT (env MINISTRIPE_GATEWAY, default 127.0.0.1:50050)" },
  certs: { type: "string", value: "DIR", help: "this client's certificate folder (default HOME/certs)" },
  home: { type: "string", value: "DIR", help: "the client home (env MINISTRIPE_HOME, default ~/.ministripe)" },
  json: { type: "boolean", help: "print one JSON object for scripts" },
  "log-level": { type: "string", value: "LEVEL", help: "client log level, written to HOME/client.log", default: "info" },
};

export interface ClientContext {
  home: ClientHome;
  /** The certificate folder the connection uses. */
  certsDir: string;
  client: GatewayClient;
  store: ClientStore;
  outbox: Outbox;
  json: boolean;
  log: Logger;
  session: SavedSession | undefined;
  /** In the shell a background resender sends the queue; commands do not send it first. */
  inShell: boolean;
  /** Called when a payment was queued (the shell's resender then watches for the gateway). */
  onQueued(): void;
  /** With --json: what the flush before the command has to tell, added to the command's JSON object as `queue_outcomes`. */
  queueOutcomes: QueueOutcomeJson[];
  /** Prints the command's JSON object with the queue's outcomes, which are then told. */
  printJson(value: Record<string, unknown>): void;
  close(): void;
}

/**
 * A client command: its work runs on an open client context. The CLI opens
 * one per run; the shell runs the same command on the context it keeps open,
 * so both parse the same flags and print the same words.
 */
export interface ClientCommand extends Command {
  /** Checks the flags before anything is opened (bad input creates nothing). */
  check?(flags: Flags, positionals: string[]): void;
  body(ctx: ClientContext, flags: Flags, positionals: string[]): Promise<number>;
}

export function clientCommand(spec: Omit<ClientCommand, "run">): ClientCommand {
  return {
    ...spec,
    run(flags, positionals) {
      spec.check?.(flags, positionals);
      return withClient(flags, (ctx) => spec.body(ctx, flags, positionals));
    },
  };
}

export function openClient(flags: Flags): ClientContext {
  const home = new ClientHome(str(flags, "home") ?? ClientHome.defaultDir());
  // The home holds the session token and the outbox: say so once per command when others can read them.
  const exposed = openFilesWarning(home.dir, home.privateFiles, "client home");
  if (exposed) warn(exposed);
  const address = gatewayAddressOf(flags);
  const certsDir = str(flags, "certs") ?? home.certsDir;
  if (!existsSync(certsDir)) {
    throw new AppError(Code.Unauthenticated, `no client certificate folder at ${certsDir}: pass --certs DIR (made by "ministripe certs init --clients NAME")`);
  }
  const log = createLogger({ role: "client", name: "cli", level: parseLogLevel(str(flags, "log-level")) ?? "info", file: home.logPath });
  const client = new GatewayClient(address, loadCertFolder(certsDir), log);
  const store = new ClientStore(home.outboxPath);
  const session = home.loadSession();
  if (session) client.token = session.token;
  return {
    home,
    certsDir,
    client,
    store,
    outbox: new Outbox(store, client),
    json: bool(flags, "json"),
    log,
    session,
    inShell: false,
    onQueued() {},
    queueOutcomes: [],
    printJson(value) {
      printJson(this.queueOutcomes.length > 0 ? { ...value, queue_outcomes: this.queueOutcomes } : value);
      store.markReported(this.queueOutcomes.map((o) => o.idempotency_key));
      this.queueOutcomes.length = 0;
    },
    close() {
      client.close();
      store.close();
    },
  };
}

/** The gateways to dial (HOST:PORT[,HOST:PORT...]): --gateway, else MINISTRIPE_GATEWAY, else this machine's default port. */
export function gatewayAddressOf(flags: Flags): string {
  const text = str(flags, "gateway") ?? process.env.MINISTRIPE_GATEWAY ?? "127.0.0.1:50050";
  const addresses = text.split(",").map((one) => one.trim());
  if (addresses.length > limits.gatewaysPerClientMax) throw new UsageError(`--gateway: at most ${limits.gatewaysPerClientMax} gateways`);
  return addresses.map((one) => parseAddress(one, "--gateway")).join(",");
}

/** Runs a command's body with an open client context, closed whatever happens. */
export async function withClient<T>(flags: Flags, body: (ctx: ClientContext) => Promise<T>): Promise<T> {
  const ctx = openClient(flags);
  try {
    return await body(ctx);
  } finally {
    ctx.close();
  }
}

export function requireSession(ctx: ClientContext): SavedSession {
  if (!ctx.session) throw new AppError(Code.Unauthenticated, 'not logged in: run "ministripe login --username U"');
  return ctx.session;
}

/**
 * Sends what is queued before a command, waiting only briefly when still
 * offline, and tells each outcome: this pass's, and any finished earlier but
 * never told (a process ended before printing it). An outcome counts as told
 * once printed, or with --json once the command's JSON object holds it.
 */
export async function flushQueue(ctx: ClientContext): Promise<SendOutcome[]> {
  if (!ctx.session || ctx.inShell) return [];
  const outcomes = await ctx.outbox.sync(ctx.session.username, limits.syncBlockMsMax / 3);
  const told = queueOutcomesToTell(ctx, ctx.session.username, outcomes);
  if (ctx.json) ctx.queueOutcomes.push(...told);
  else {
    for (const outcome of told) warn(outcome.message);
    ctx.store.markReported(told.map((o) => o.idempotency_key));
  }
  return outcomes;
}

/** One outcome of the queue as --json shows it (`queue_outcomes` of a command, `outcomes` of sync). */
export interface QueueOutcomeJson {
  kind: SendOutcome["kind"];
  idempotency_key: string;
  message: string;
  payment?: unknown;
  state?: string;
  payment_id?: string | null;
}

/** This pass's outcomes, then those finished earlier that nobody told. */
export function queueOutcomesToTell(ctx: ClientContext, username: string, outcomes: SendOutcome[]): QueueOutcomeJson[] {
  const keys = new Set(outcomes.map((o) => o.key));
  // Not one another live process finished: it tells that one itself (two syncs at once tell each outcome once).
  const earlier = ctx.store.listUnreported(username, offlineLimits.untoldOutcomesPerCommandMax, (owner) => ctx.outbox.ownerAlive(owner), Date.now()).filter((e) => !keys.has(e.idempotencyKey));
  return [...outcomes.map(outcomeJson), ...earlier.map(finishedEntryJson)];
}

function outcomeJson(o: SendOutcome): QueueOutcomeJson {
  return { kind: o.kind, idempotency_key: o.key, message: describeOutcome(o), payment: o.kind === "final" ? o.payment : undefined };
}

function finishedEntryJson(e: OutboxEntry): QueueOutcomeJson {
  return { kind: "final", idempotency_key: e.idempotencyKey, message: describeFinishedEntry(e), state: e.state, payment_id: e.paymentId };
}

/** How an outcome's line names its entry: "queued payment K", or "queued refund K (of payment P)". */
function queuedWhat(key: string, refundOf: string | null | undefined): string {
  return refundOf ? `queued refund ${key} (of payment ${refundOf})` : `queued payment ${key}`;
}

/** A finished entry's outcome from the queue alone (the gateway's reply was not kept). */
export function describeFinishedEntry(e: OutboxEntry): string {
  const what = queuedWhat(e.idempotencyKey, e.refundOf);
  const to = e.toUsername ? ` to ${e.toUsername}` : "";
  const result = e.state === "succeeded" ? "succeeded" : `failed: ${e.failureCode ?? "unknown"}${e.lastError ? ` (${e.lastError})` : ""}`;
  const id = e.paymentId ? ` (${e.refundOf ? "refund" : "payment"} ${e.paymentId})` : "";
  return `${what}: ${money(e.amountMinor)}${to} ${result}${id}`;
}

export function describeOutcome(outcome: SendOutcome): string {
  const what = queuedWhat(outcome.key, outcome.refundOf);
  switch (outcome.kind) {
    case "final": {
      const p = outcome.payment;
      const result = p.status === "SUCCEEDED" ? "succeeded" : `failed: ${p.failure_code} (${p.failure_message})`;
      const replay = replayNote(outcome.replayed, p.status);
      return `${what}: ${money(p.amount_minor, p.currency)} to ${p.payee} ${result}${replay} (${p.refund_of ? "refund" : "payment"} ${p.id})`;
    }
    case "queued":
      return `${what} still waiting: ${outcome.reason}`;
    case "needs_login":
      return `${what} kept: ${outcome.reason}; run "ministripe login" and it will be sent`;
    case "refused":
      return `${what} refused by the gateway: ${errorText(outcome.error)}`;
  }
}

