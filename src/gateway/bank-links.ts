// The gateway's connection to each bank. Prepare, Commit and Abort go through
// batchers: concurrent payments to one bank share one RPC, and the bank
// writes them in one SQLite transaction (group commit).
import type * as grpc from "@grpc/grpc-js";
import { Batcher } from "../lib/batcher";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { minorFromWire } from "../lib/money";
import { connect, unaryCall } from "../rpc/channel";
import type { CertFolder } from "../rpc/credentials";

export interface WireLeg {
  account: string;
  delta_minor: number | string;
}
export interface PrepareItem {
  txid: string;
  legs: WireLeg[];
  request_id: string;
}
export interface Vote {
  txid: string;
  yes: boolean;
  reason: string;
}
export interface TxRef {
  txid: string;
  request_id: string;
}
export interface Ack {
  txid: string;
  ok: boolean;
  error: string;
}

export interface BankBalance {
  balanceMinor: bigint;
  availableMinor: bigint;
  currency: string;
}

export class BankLink {
  readonly client: grpc.Client;
  private readonly prepares: Batcher<{ item: PrepareItem; deadlineAtMs: number }, Vote>;
  private readonly commits: Batcher<TxRef, Ack>;
  private readonly aborts: Batcher<TxRef, Ack>;

  constructor(
    readonly name: string,
    readonly address: string,
    certs: CertFolder,
    log: Logger,
    prepareTimeoutMs: number,
  ) {
    this.client = connect("Bank", address, { certs, expect: { role: "bank", name }, log });
    const batch = { itemsMax: limits.batchItemsMax, inFlightMax: limits.batchInFlightMax };
    this.prepares = new Batcher((entries) => this.sendPrepares(entries, prepareTimeoutMs), batch);
    this.commits = new Batcher((txs) => this.send("Commit", { txs }, limits.phaseTwoDeadlineMs, "acks"), batch);
    this.aborts = new Batcher((txs) => this.send("Abort", { txs }, limits.phaseTwoDeadlineMs, "acks"), batch);
  }

  /** A vote, or NO ("expired") without asking the bank when the coordinator stopped waiting before it was sent. */
  prepare(item: PrepareItem, deadlineAtMs: number): Promise<Vote> {
    return this.prepares.submit({ item, deadlineAtMs });
  }

  /**
   * Items whose deadline passed while they waited for a batch are not sent:
   * the payment is already aborting, and a hold placed now would only block
   * the payer's funds until the Abort arrives.
   */
  private async sendPrepares(entries: { item: PrepareItem; deadlineAtMs: number }[], prepareTimeoutMs: number): Promise<Vote[]> {
    const nowMs = Date.now();
    const live = entries.filter((entry) => entry.deadlineAtMs > nowMs);
    const deadlineMs = Math.min(prepareTimeoutMs, Math.max(0, ...live.map((entry) => entry.deadlineAtMs - nowMs)));
    const votes = live.length > 0 ? await this.send<PrepareItem, Vote>("Prepare", { items: live.map((entry) => entry.item) }, deadlineMs, "votes") : [];
    const byTxid = new Map(votes.map((vote) => [vote.txid, vote]));
    return entries.map((entry) => byTxid.get(entry.item.txid) ?? { txid: entry.item.txid, yes: false, reason: "expired" });
  }

  commit(ref: TxRef): Promise<Ack> {
    return this.commits.submit(ref);
  }

  abort(ref: TxRef): Promise<Ack> {
    return this.aborts.submit(ref);
  }

  async verifyAccount(account: string, requestId: string): Promise<{ exists: boolean; holder: string }> {
    return this.read("VerifyAccount", { account }, requestId);
  }

  async balance(account: string, requestId: string): Promise<BankBalance> {
    const response = await this.read<{ balance_minor: string; available_minor: string; currency: string }>("GetBalance", { account }, requestId);
    return { balanceMinor: minorFromWire(response.balance_minor), availableMinor: minorFromWire(response.available_minor), currency: response.currency };
  }

  /** A read: an unreachable bank is UNAVAILABLE with a message that names the bank, not the network details. */
  private async read<R>(method: string, request: unknown, requestId: string): Promise<R> {
    try {
      return await unaryCall<unknown, R>(this.client, method, request, { deadlineMs: limits.readDeadlineMs, requestId });
    } catch (error) {
      const appError = error as AppError;
      if (appError.code !== Code.Unavailable && appError.code !== Code.DeadlineExceeded) throw appError;
      throw new AppError(Code.Unavailable, `bank ${this.name} is unreachable; try again shortly`, appError);
    }
  }

  /** One batch RPC; answers are matched back to requests by txid, and a missing answer is an error. */
  private async send<T extends { txid: string }, R extends { txid: string }>(method: string, request: Record<string, T[]>, deadlineMs: number, field: string): Promise<R[]> {
    const sent = Object.values(request)[0]!;
    const response = await unaryCall<unknown, Record<string, R[]>>(this.client, method, request, { deadlineMs });
    const byTxid = new Map((response[field] ?? []).map((answer) => [answer.txid, answer]));
    return sent.map((item) => {
      const answer = byTxid.get(item.txid);
      if (!answer) throw new AppError(Code.Internal, `bank ${this.name} gave no answer for ${item.txid}`);
      return answer;
    });
  }

  close(): void {
    this.client.close();
  }
}

export class BankLinks {
  private readonly links = new Map<string, BankLink>();

  constructor(banks: Map<string, string>, certs: CertFolder, log: Logger, prepareTimeoutMs: number) {
    for (const [name, address] of banks) this.links.set(name, new BankLink(name, address, certs, log, prepareTimeoutMs));
  }

  has(name: string): boolean {
    return this.links.has(name);
  }

  get(name: string): BankLink {
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
