// A participant that voted YES cannot decide alone. When a prepared
// transaction is older than the in-doubt interval, ask the coordinator.
// The coordinator answers ABORT for anything it never decided (presumed abort).
import type * as grpc from "@grpc/grpc-js";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { unaryCall } from "../rpc/channel";
import type { BankStore } from "../store/bank-store";
import type { Participant } from "./participant";

export interface InDoubtOptions {
  store: BankStore;
  participant: Participant;
  coordinator: grpc.Client;
  inDoubtAfterMs: number;
  nowMs: () => number;
  log: Logger;
}

export class InDoubtResolver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly options: InDoubtOptions) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const intervalMs = Math.max(25, Math.floor(this.options.inDoubtAfterMs / 2));
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule()), intervalMs);
  }

  /** One pass: ask about at most one page of in-doubt transactions. */
  async tick(): Promise<number> {
    const { store, participant, log } = this.options;
    const txids = store.listInDoubt(this.options.nowMs() - this.options.inDoubtAfterMs, limits.txidsPerDecisionQueryMax);
    if (txids.length === 0) return 0;
    try {
      const response = await unaryCall<{ txids: string[] }, { decisions: { txid: string; outcome: string }[] }>(
        this.options.coordinator,
        "GetDecision",
        { txids },
        { deadlineMs: limits.readDeadlineMs },
      );
      const commits = response.decisions.filter((d) => d.outcome === "COMMIT").map((d) => ({ txid: d.txid, requestId: "" }));
      const aborts = response.decisions.filter((d) => d.outcome === "ABORT").map((d) => ({ txid: d.txid, requestId: "" }));
      if (commits.length > 0) participant.commit(commits);
      if (aborts.length > 0) participant.abort(aborts);
      // Nothing resolved (the coordinator is still collecting votes): debug, or it would log every pass.
      const level = commits.length + aborts.length > 0 ? "info" : "debug";
      log[level]({ event: "in_doubt.resolved", asked: txids.length, committed: commits.length, aborted: aborts.length }, "asked the coordinator");
      return commits.length + aborts.length;
    } catch (error) {
      log.warn({ event: "in_doubt.unresolved", asked: txids.length, err: (error as Error).message }, "coordinator unreachable; will ask again");
      return 0;
    }
  }
}
