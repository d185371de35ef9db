// The gateway's connection to each bank. Prepares, Commits and Aborts wait in
// one batcher per bank: everything waiting goes in one Exchange call (phase
// one of some payments with phase two of others), which the bank writes in one
// SQLite transaction (group commit). One call in flight per bank
// (limits.batchInFlightMax): what arrives meanwhile forms the next, larger one.
// Calls wait for a connection within their deadline (waitForReady): a bank
// that has just restarted serves the payment instead of a fast UNAVAILABLE
// while the channel is between two reconnection attempts.
// Exchange goes through the lean unary client (src/rpc/http2-unary.ts): same
// wire, mutual TLS and peer check, waitForReady, reconnect backoff and
// keepalive pings as the grpc-js channel, without grpc-js's client stack,
// which cost the gateway ~10% of its CPU at c64 (docs/performance.md).
// Reads and the audit stay on grpc-js.
import { Batcher } from "../lib/batcher";
import type { Clock } from "../lib/clock";
import { AppError, Code, Reason } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { timedPhase } from "../lib/phase-timing";
import { minorFromWire } from "../lib/money";
import { plural } from "../lib/plural";
import { connect, isConnected, ReplaceableClient, unaryCall } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";
import { Http2UnaryClient } from "../rpc/http2-unary";
import type * as wire from "../rpc/wire/messages";
import type { MethodName, Reply, Request, ServiceClient } from "../rpc/wire/services";

// The coordinator speaks to banks in the wire's own shapes: what it sends with
// every field named (the txid keys each answer), and what comes back.
export type PrepareItem = Required<wire.PrepareItem>;
export type TxRef = Required<wire.TxRef>;
export type Vote = wire.VoteReceived;
export type Ack = wire.AckReceived;

export interface BankBalance {
  balanceMinor: bigint;
  availableMinor: bigint;
  currency: string;
}

type Entry = { kind: "prepare"; item: PrepareItem; deadlineAtMs: number } | { kind: "commit" | "abort"; ref: TxRef };

export class BankLink {
  /** For reads and the audit (grpc-js); replaced when its connection attempt hangs. */
  private readonly channel: ReplaceableClient<ServiceClient<"Bank">>;
  private readonly exchangeClient: Http2UnaryClient<"Bank">;
  private readonly exchanges: Batcher<Entry, Vote | Ack>;

  constructor(
    readonly name: string,
    readonly address: string,
    certs: CertFolder,
    private readonly log: Logger,
    prepareTimeoutMs: number,
    /** The coordinator's clock: prepare deadlines are points in its time. */
    private readonly clock: Clock,
    entriesQueuedMax: number,
  ) {
    this.channel = new ReplaceableClient(() => connect("Bank", address, { certs, expect: { role: "bank", name }, log, ownConnection: true }), limits.connectingMsMax, log);
    this.exchangeClient = new Http2UnaryClient(address, certs, { role: "bank", name }, "Bank", {
      keepalive: { intervalMs: limits.keepalivePingIntervalMs, timeoutMs: limits.keepalivePingTimeoutMs },
      reconnectBackoff: { msMin: limits.reconnectBackoffMsMin, msMax: limits.reconnectBackoffMsMax },
      connectingMsMax: limits.connectingMsMax,
    });
    this.exchanges = new Batcher((entries) => this.exchange(entries, prepareTimeoutMs), {
      itemsMax: limits.batchItemsMax,
      inFlightMax: limits.batchInFlightMax,
      queuedMax: entriesQueuedMax,
      // UNAVAILABLE: a prepare refused so is the vote of a bank that could not be reached (bank_unavailable).
      whenFull: () => new AppError(Code.Unavailable, `bank ${name} is not keeping up: ${plural(entriesQueuedMax, "call")} already waiting for it`),
    });
  }

  /** The grpc-js client for calls to this bank now (a new one after a connection attempt hung). */
  get client(): ServiceClient<"Bank"> {
    return this.channel.client;
  }

  /** Told the number of entries in each Exchange call (metrics). */
  observeBatches(onBatch: (size: number) => void): void {
    this.exchanges.onBatch = onBatch;
  }

  /** A vote, or NO (notSentReason) without asking the bank when the coordinator stopped waiting before it was sent. */
  prepare(item: PrepareItem, deadlineAtMs: number): Promise<Vote> {
    return timedPhase("wait.prepare_vote", () => this.exchanges.submit({ kind: "prepare", item, deadlineAtMs }) as Promise<Vote>);
  }

  commit(ref: TxRef): Promise<Ack> {
    return timedPhase("wait.phase_two_ack", () => this.exchanges.submit({ kind: "commit", ref }) as Promise<Ack>);
  }

  abort(ref: TxRef): Promise<Ack> {
    return timedPhase("wait.phase_two_ack", () => this.exchanges.submit({ kind: "abort", ref }) as Promise<Ack>);
  }

  /**
   * One Exchange call for everything waiting. Prepares whose deadline passed
   * while they waited are not sent: the payment is already aborting, and a
   * hold placed now would only block the payer's funds until the Abort arrives.
   */
  private async exchange(entries: Entry[], prepareTimeoutMs: number): Promise<(Vote | Ack)[]> {
    const nowMs = this.clock.nowMs();
    const prepares = entries.filter((entry) => entry.kind === "prepare" && entry.deadlineAtMs > nowMs) as Extract<Entry, { kind: "prepare" }>[];
    const commits = refsOf(entries, "commit");
    const aborts = refsOf(entries, "abort");
    // Only expired prepares waited: nothing to send.
    if (prepares.length + commits.length + aborts.length === 0) return entries.map(expired);
    // The latest deadline of what the call carries: its prepares' (the
    // coordinator's own timer decides their votes) and, with decisions, phase two's.
    const prepareDeadlineMs = Math.min(prepareTimeoutMs, Math.max(0, ...prepares.map((entry) => entry.deadlineAtMs - nowMs)));
    const deadlineMs = commits.length + aborts.length > 0 ? Math.max(limits.phaseTwoDeadlineMs, prepareDeadlineMs) : prepareDeadlineMs;
    const request: wire.ExchangeRequest = { prepare: prepares.map((entry) => entry.item), commit: commits, abort: aborts };
    const response = await this.calledExchange(request, deadlineMs, entries.length);
    const answers = { prepare: byTxid(response.votes), commit: byTxid(response.commit_acks), abort: byTxid(response.abort_acks) };
    const sent = new Set(prepares);
    return entries.map((entry) => {
      const txid = txidOf(entry);
      const answer = answers[entry.kind].get(txid);
      if (answer) return answer;
      if (entry.kind === "prepare" && !sent.has(entry)) return expired(entry);
      throw new AppError(Code.Internal, `bank ${this.name} gave no answer for ${txid}`);
    });
  }

  /** The Exchange call, with the debug line grpc-js's logging interceptor writes for the other calls. */
  private async calledExchange(request: wire.ExchangeRequest, deadlineMs: number, batch: number): Promise<wire.ExchangeResponseReceived> {
    const startedAtMs = performance.now();
    const fields = () => ({ event: "rpc.called", service: "Bank", method: "Exchange", peer: this.address, cert: `bank:${this.name}`, batch, duration_ms: Math.round((performance.now() - startedAtMs) * 1000) / 1000 });
    try {
      const response = await this.exchangeClient.call("Exchange", request, { deadlineMs, waitForReady: true });
      if (this.log.isLevelEnabled("debug")) this.log.debug({ ...fields(), code: "OK" }, "Bank.Exchange");
      return response;
    } catch (error) {
      const appError = error as AppError;
      if (this.log.isLevelEnabled("debug")) this.log.debug({ ...fields(), code: appError.code, error: appError.message }, "Bank.Exchange");
      // A payment's failure message is read by its payer: the bank's name, not the transport's words (kept as the cause).
      if (appError.code === Code.Unavailable) throw new AppError(Code.Unavailable, `bank ${this.name} did not answer`, appError, Reason.BankUnreachable);
      throw appError;
    }
  }

  /** The bank checks `pin` and counts a wrong one; its refusals come back as they are. */
  async verifyAccount(account: string, pin: string, requestId: string): Promise<wire.VerifyAccountResponseReceived> {
    // Asked once: a try that timed out may have reached the bank, and a wrong PIN asked again would count twice toward its block.
    return this.read("VerifyAccount", { account, pin }, requestId, { askAgain: false });
  }

  async balance(account: string, requestId: string): Promise<BankBalance> {
    const response = await this.read("GetBalance", { account }, requestId);
    return { balanceMinor: minorFromWire(response.balance_minor), availableMinor: minorFromWire(response.available_minor), currency: response.currency };
  }

  /** For the live view: within statsBankReadDeadlineMs, so a bank down or hung is told as such while the page waits. */
  async holds(inDoubtAfterMs: number, requestId: string): Promise<wire.GetHoldsResponseReceived> {
    return this.read("GetHolds", { in_doubt_after_ms: String(inDoubtAfterMs) }, requestId, { readDeadlineMs: limits.statsBankReadDeadlineMs });
  }

  /**
   * A read: an unreachable bank is UNAVAILABLE with a message that names the
   * bank, not the network details, within `readDeadlineMs` in all.
   */
  private async read<M extends MethodName<"Bank">>(method: M, request: Request<"Bank", M>, requestId: string, options: { readDeadlineMs?: number; askAgain?: boolean } = {}): Promise<Reply<"Bank", M>> {
    const { readDeadlineMs = limits.bankReadDeadlineMs, askAgain = true } = options;
    // Network deadlines, counted by grpc-js on the wall clock (not the injected one).
    const deadlineAtMs = Date.now() + readDeadlineMs;
    // With the payments' connection up, the reads' channel has half the time: the rest is for asking again over that one.
    const firstDeadlineAtMs = askAgain && this.exchangeClient.isConnected() ? Date.now() + readDeadlineMs / 2 : deadlineAtMs;
    try {
      return await this.channel.callRetryingOnReplacement(firstDeadlineAtMs, (client, deadlineMs) => unaryCall(client, method, request, { deadlineMs, requestId, waitForReady: true }));
    } catch (error) {
      const appError = error as AppError;
      if (appError.code !== Code.Unavailable && appError.code !== Code.DeadlineExceeded) throw appError;
      // The reads' channel may still be replacing a connection that lost its
      // bytes while the one payments use is back: asked once more over that one.
      const remainingMs = deadlineAtMs - Date.now();
      if (askAgain && this.exchangeClient.isConnected() && remainingMs > 0) {
        const again = await this.exchangeClient.call(method, request, { deadlineMs: remainingMs, waitForReady: true }).catch(() => undefined);
        if (again !== undefined) return again;
      }
      throw new AppError(Code.Unavailable, `bank ${this.name} is unreachable; try again shortly`, appError, Reason.BankUnreachable);
    }
  }

  /**
   * Whether the gateway has a live connection to this bank now: the one its
   * Exchange calls use, or the grpc-js channel of its reads (a bank that
   * answered a read is reachable, even while a new Exchange connection is
   * still in its handshake).
   */
  connected(): boolean {
    return this.exchangeClient.isConnected() || isConnected(this.client);
  }

  close(): void {
    this.channel.close();
    this.exchangeClient.close();
  }
}

function refsOf(entries: Entry[], kind: "commit" | "abort"): TxRef[] {
  const refs: TxRef[] = [];
  for (const entry of entries) if (entry.kind === kind) refs.push(entry.ref);
  return refs;
}

function byTxid<T extends { txid: string }>(answers: T[] | undefined): Map<string, T> {
  return new Map((answers ?? []).map((answer) => [answer.txid, answer]));
}

function txidOf(entry: Entry): string {
  return entry.kind === "prepare" ? entry.item.txid : entry.ref.txid;
}

/** The reason of a NO no bank gave: the prepare waited past its payment's deadline and was never sent (the payment timed out). */
export const notSentReason = "not_sent_prepare_timeout";

/** The vote of a prepare that was not sent because its payment stopped waiting. */
function expired(entry: Entry): Vote {
  return { txid: txidOf(entry), yes: false, reason: notSentReason };
}

export class BankLinks {
  private readonly links = new Map<string, BankLink>();

  constructor(banks: Map<string, string>, certs: CertFolder, log: Logger, prepareTimeoutMs: number, clock: Clock, entriesQueuedMax: number = limits.exchangeEntriesQueuedMax) {
    for (const [name, address] of banks) this.links.set(name, new BankLink(name, address, certs, log, prepareTimeoutMs, clock, entriesQueuedMax));
  }

  has(name: string): boolean {
    return this.links.has(name);
  }

  /**
   * The bank a stored user or payment names. One this gateway is not given
   * (--bank) is one it cannot reach: UNAVAILABLE, so a balance exits 4 and a
   * payment fails as bank_unavailable, as with a bank that is down.
   */
  get(name: string): BankLink {
    const link = this.links.get(name);
    if (!link) throw new AppError(Code.Unavailable, `bank ${name} cannot be reached: this gateway does not serve it`, undefined, Reason.BankUnreachable);
    return link;
  }

  /** The bank a user names (at registration): one this gateway is not given is unknown here. */
  named(name: string): BankLink {
    const link = this.links.get(name);
    if (!link) throw new AppError(Code.NotFound, `unknown bank "${name}"`);
    return link;
  }

  names(): string[] {
    return [...this.links.keys()];
  }

  close(): void {
    for (const link of this.links.values()) link.close();
  }
}
