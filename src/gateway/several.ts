// Several gateways on one PostgreSQL database (SPEC "Several gateways on
// PostgreSQL"): this gateway's name taken at start (refused while another
// live gateway holds it), a sign of life written every beat and judged by the
// database's clock, and takeover: each beat adopts the unfinished payments of
// gateways silent longer than --takeover-after and finishes them (presumed
// abort without a decision, phase two with one).
import { sleepMs } from "../lib/clock";
import { AppError, Code } from "../lib/errors";
import { limits } from "../lib/limits";
import type { Logger } from "../lib/log";
import type { PostgresGatewayStore } from "../store/gateway-postgres";
import type { Coordinator } from "./coordinator";

export interface SeveralOptions {
  store: PostgresGatewayStore;
  takeoverAfterMs: number;
  log: Logger;
  /** Another instance took this name (this one was judged dead): it must stop serving. */
  onDisplaced: () => void;
}

/** Signs of life this often: a live gateway beats several times within --takeover-after. */
function beatIntervalMs(takeoverAfterMs: number): number {
  return Math.max(50, Math.min(1_000, Math.floor(takeoverAfterMs / 5)));
}

export class SeveralGateways {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private adoptionStopped = false;
  private coordinator: Coordinator | undefined;
  /** Told how many payments of silent gateways each beat adopted (metrics). */
  onTakeover: ((payments: number) => void) | undefined;

  constructor(private readonly options: SeveralOptions) {}

  get store(): PostgresGatewayStore {
    return this.options.store;
  }

  /**
   * Takes this gateway's name. A row of the same name whose beat is fresh
   * belongs to a live gateway, unless it stops beating: so the name is tried
   * again for a little longer than --takeover-after (a gateway restarted
   * right after a crash waits out its own predecessor's silence).
   */
  async takeName(): Promise<void> {
    const { store, takeoverAfterMs } = this.options;
    const deadlineAtMs = Date.now() + takeoverAfterMs + 2 * beatIntervalMs(takeoverAfterMs);
    for (;;) {
      if (await store.takeName(takeoverAfterMs)) return;
      if (Date.now() >= deadlineAtMs) {
        throw new AppError(Code.FailedPrecondition, `a gateway named "${store.name}" is running on this database (it showed life in the last ${takeoverAfterMs} ms): give each gateway its own --name`);
      }
      await sleepMs(beatIntervalMs(takeoverAfterMs));
    }
  }

  /** Beats and takes over from now on; the coordinator finishes what is adopted. */
  start(coordinator: Coordinator): void {
    this.coordinator = coordinator;
    this.schedule();
  }

  /** The adoption pass running, if one is: at most one at a time. */
  private adopting: Promise<void> | undefined;

  /**
   * No more adoption passes; the beats go on. A stopping gateway drains its
   * calls for up to the prepare timeout and more, which may outlast
   * --takeover-after: silent meanwhile, it would see another gateway adopt
   * and presume aborted the payments it is still finishing.
   */
  stopAdopting(): void {
    this.adoptionStopped = true;
  }

  /**
   * No more beats; resolves once a beat on its way has landed, so that none
   * lands after the name is released (it would show this gateway alive again
   * until --takeover-after), or after a bound: a database away must not hold the stop.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.adoptionStopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ticking) await Promise.race([this.ticking, sleepMs(limits.lastBeatWaitMsMax)]);
  }

  /** After a clean stop (nothing in flight): shown silent, so others finish what is left now and a restart need not wait. */
  async release(): Promise<void> {
    await this.options.store.releaseName().catch((error) => {
      this.options.log.warn({ event: "gateway.release_failed", err: (error as Error).message }, "the name is released when its signs of life grow old");
    });
  }

  /** The beat on its way, if one is. */
  private ticking: Promise<void> | undefined;

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule();
      });
    }, beatIntervalMs(this.options.takeoverAfterMs));
  }

  /**
   * One beat: a sign of life, then (unless a pass is still running) the
   * payments of silent gateways adopted and finished. The pass is not waited
   * for: a lock held on the payments table may hold its UPDATE for a minute
   * (a slow database is waited for, src/store/postgres.ts), and the beats
   * must go on meanwhile, or every gateway would look silent to the others.
   */
  async tick(): Promise<void> {
    const { store, log } = this.options;
    try {
      if (!(await store.beat())) {
        log.error({ event: "gateway.displaced", name: store.name }, "another gateway took this name after this one fell silent; stopping");
        this.stopped = true;
        this.options.onDisplaced();
        return;
      }
    } catch (error) {
      // The database away: the next beat tries again (and others judge by what reached it).
      log.warn({ event: "gateway.beat_failed", err: (error as Error).message }, "no sign of life written; will try again");
      return;
    }
    if (this.adoptionStopped) return; // stopped while the beat was on its way: no pass into a closing gateway
    this.adopting ??= this.adopt().finally(() => {
      this.adopting = undefined;
    });
  }

  /** One pass: the unfinished payments of gateways silent longer than --takeover-after, adopted and finished. */
  private async adopt(): Promise<void> {
    const { store, log, takeoverAfterMs } = this.options;
    try {
      const adopted = await store.adoptOrphans(takeoverAfterMs, limits.adoptedPerPassMax);
      if (adopted.length === 0) return;
      this.onTakeover?.(adopted.length);
      log.warn({ event: "gateway.takeover", payments: adopted.length, undecided: adopted.filter((a) => a.decision === null).length }, "finishing the payments of a silent gateway");
      await this.coordinator?.finishAdopted(adopted);
    } catch (error) {
      log.warn({ event: "gateway.adopt_failed", err: (error as Error).message }, "the payments of silent gateways are looked for again at the next beat");
    }
  }
}
