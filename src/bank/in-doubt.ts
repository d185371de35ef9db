// A participant that voted YES cannot decide alone. When a prepared
// transaction is older than the in-doubt interval, ask the coordinator.
// The coordinator answers ABORT for anything it never decided (presumed abort).
// With several gateways on one database any of them answers for all: one
// that does not answer is skipped for the next.
import { assert } from "../lib/assert";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { unaryCall } from "../rpc/channel";
import type { GetDecisionResponseReceived } from "../rpc/wire/messages";
import type { ServiceClient } from "../rpc/wire/services";
import type { BankStore } from "../store/bank-store";
import type { Participant } from "./participant";

export interface InDoubtOptions {
  store: BankStore;
  participant: Participant;
  /** Every gateway this bank may ask, in order of preference. */
  coordinators: ServiceClient<"Coordinator">[];
  inDoubtAfterMs: number;
  nowMs: () => number;
  log: Logger;
}

export class InDoubtResolver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** The gateway asked first: the last one that answered. */
  private preferred = 0;

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
    const intervalMs = Math.max(limits.inDoubtPollMsMin, Math.floor(this.options.inDoubtAfterMs / 2));
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule()), intervalMs);
  }

  /** One pass: ask about at most one page of in-doubt transactions. */
  async tick(): Promise<number> {
    const { store, participant, log } = this.options;
    const txids = store.listInDoubt(this.options.nowMs() - this.options.inDoubtAfterMs, limits.txidsPerDecisionQueryMax);
    if (txids.length === 0) return 0;
    try {
      const response = await this.askAny(txids);
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

  /** GetDecision from the preferred gateway, else from each of the others in turn; the last error when none answers. */
  private async askAny(txids: string[]): Promise<GetDecisionResponseReceived> {
    const { coordinators } = this.options;
    assert(coordinators.length > 0, "a bank that resolves in-doubt transactions has a gateway to ask");
    let lastError: unknown;
    for (let i = 0; i < coordinators.length; i++) {
      const index = (this.preferred + i) % coordinators.length;
      try {
        const response = await unaryCall(coordinators[index]!, "GetDecision", { txids }, { deadlineMs: limits.readDeadlineMs });
        this.preferred = index;
        return response;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }
}
