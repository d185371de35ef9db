// The shell's background worker: watches connectivity to the gateway,
// re-sends queued payments as soon as it is reachable, and keeps the
// WatchPayments subscription open. Connectivity is learnt from the grpc
// channel's state changes and the stream dropping (which wake the worker
// early) and from probes spaced by full-jitter backoff between
// offlineLimits.reconnectMsMin and reconnectMsMax: never a busy loop.
import { connectivityState } from "@grpc/grpc-js";
import { backoffMs, sleepMs, systemClock, type Clock } from "../lib/clock";
import { AppError, Code, toAppError } from "../lib/errors";
import { offlineLimits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { isUnreachable, type GatewayClient } from "./gateway-client";
import type { ClientHome } from "./home";
import type { Outbox, SendOutcome, WirePayment } from "./outbox";
import { PaymentWatch } from "./payment-watch";

export interface ResenderEvents {
  /** A queued payment reached a final outcome (or was refused). */
  onOutcome(outcome: SendOutcome): void;
  /** A payment of the user decided elsewhere (received, or sent by another device). */
  onPayment(payment: WirePayment): void;
  /** The gateway became reachable (true) or unreachable (false). */
  onConnectivity(up: boolean): void;
  /** The session was refused; queued payments wait for a new login. */
  onNeedsLogin(reason: string): void;
  /** The gateway refused this client's payment watch (too many open for the user): payments are not told here until a place frees. */
  onWatchRefused(reason: string): void;
}

export interface ResenderDeps {
  client: GatewayClient;
  outbox: Outbox;
  home: ClientHome;
  username: string;
  events: ResenderEvents;
  log: Logger;
  /** True when this home sent the payment with this key (it reports that one itself). */
  sentHere(idempotencyKey: string): boolean;
  clock?: Clock;
}

export class Resender {
  /** The gateway's refusal of the payment watch was told: once, as the watch is tried again by itself until a place frees. */
  private watchRefusalTold = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A nudge that came while a pass was running: the next wait is skipped. */
  private nudged = false;
  private up: boolean | undefined;
  /** Consecutive failed probes, and resend rounds that left entries queued: each drives a backoff. */
  private probeFailures = 0;
  private resendRounds = 0;
  private watchFailures = 0;
  private watchRetryAtMs = 0;
  /** The token the gateway refused: nothing is sent again until the session file holds another one. */
  private refusedToken: string | undefined;
  private readonly watch: PaymentWatch;
  private readonly clock: Clock;

  constructor(private readonly deps: ResenderDeps) {
    this.clock = deps.clock ?? systemClock;
    this.watch = new PaymentWatch(deps.client, {
      onPayment: (payment) => this.tellPayment(payment),
      onDown: (error) => this.watchEnded(error),
    }, this.clock.nowMs());
  }

  start(): void {
    if (this.running) return;
    this.running = this.loop();
    this.followChannel();
  }

  /** Run a pass soon (a payment was just queued, or something changed). */
  nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** Stops the worker; waits at most `waitMs` for a send in progress to finish. */
  async stop(waitMs: number): Promise<void> {
    this.stopped = true;
    this.watch.cancel();
    this.nudge();
    if (this.running) await Promise.race([this.running, sleepMs(waitMs)]);
  }

  private async loop(): Promise<void> {
    // Bounded by stop(); every pass is followed by a wait of at least reconnectMsMin.
    while (!this.stopped) {
      const startedAtMs = this.clock.nowMs();
      let waitMs: number;
      try {
        waitMs = await this.pass();
      } catch (error) {
        // A pass failing unexpectedly must not end the shell: log, back off, try again.
        this.deps.log.warn({ event: "resend.failed", err: toAppError(error).message }, "background pass failed");
        waitMs = offlineLimits.reconnectMsMax;
      }
      await this.waitUnlessWoken(waitMs);
      const gapMs = offlineLimits.reconnectMsMin - (this.clock.nowMs() - startedAtMs);
      if (gapMs > 0 && !this.stopped) await sleepMs(gapMs);
    }
  }

  /** One round: probe, keep the watch open, send what is queued. Returns how long to wait. */
  private async pass(): Promise<number> {
    this.reloadSession();
    if (!(await this.deps.client.reachable(offlineLimits.probeDeadlineMs))) {
      this.setUp(false);
      return backoffMs(this.probeFailures++, offlineLimits.reconnectMsMin, offlineLimits.reconnectMsMax);
    }
    this.probeFailures = 0;
    this.setUp(true);
    if (this.stopped) return 0;
    await this.keepWatching();
    const waitMs = await this.resend();
    // A watch the gateway refused for now is tried again at its time, not after the idle wait.
    const watchRefused = !this.watch.active && !this.waitingForLogin();
    return watchRefused ? Math.min(waitMs, Math.max(offlineLimits.reconnectMsMin, this.watchRetryAtMs - this.clock.nowMs())) : waitMs;
  }

  private async resend(): Promise<number> {
    if (this.waitingForLogin()) return offlineLimits.reconnectMsMax;
    const outcomes = await this.deps.outbox.sync(this.deps.username, offlineLimits.probeDeadlineMs, true);
    let waiting = false;
    for (const outcome of outcomes) {
      if (outcome.kind === "queued") waiting = true;
      else if (outcome.kind === "needs_login") this.needsLogin(outcome.reason);
      else this.deps.events.onOutcome(outcome);
    }
    if (!waiting) {
      this.resendRounds = 0;
      return offlineLimits.reconnectMsMax; // idle: a nudge or a channel change wakes us sooner
    }
    return backoffMs(this.resendRounds++, offlineLimits.reconnectMsMin, offlineLimits.reconnectMsMax);
  }

  private async keepWatching(): Promise<void> {
    if (this.watch.active || this.clock.nowMs() < this.watchRetryAtMs) return;
    if (this.waitingForLogin()) return;
    try {
      await this.watch.subscribe();
      this.watchFailures = 0;
    } catch (error) {
      // The catch-up listing failed (gateway gone again): the next pass tries again.
      this.deps.log.info({ event: "watch.catch_up_failed", err: toAppError(error).message }, "payment watch catch-up failed");
    }
  }

  private watchEnded(error: AppError | undefined): void {
    if (this.stopped) return;
    if (error?.code === Code.Unauthenticated) this.needsLogin(error.message);
    else if (error && !isUnreachable(error)) {
      this.deps.log.info({ event: "watch.ended", code: error.code, err: error.message }, "payment watch ended; backing off");
      // Said once, not at every try: the watch is tried again by itself and comes back when a place frees.
      if (error.code === Code.ResourceExhausted && !this.watchRefusalTold) {
        this.watchRefusalTold = true;
        this.deps.events.onWatchRefused(error.message);
      }
      // Not a network failure: do not hammer the gateway with subscriptions.
      this.watchRetryAtMs = this.clock.nowMs() + backoffMs(this.watchFailures++, offlineLimits.reconnectMsMin, offlineLimits.reconnectMsMax);
    }
    this.nudge();
  }

  private tellPayment(payment: WirePayment): void {
    // A payment this home sent is reported by whoever sent it (pay, sync, or our resend).
    if (payment.payer === this.deps.username && this.deps.sentHere(payment.idempotency_key)) return;
    this.deps.events.onPayment(payment);
  }

  /** The session in use was refused: nothing is sent or watched until a new login. */
  private waitingForLogin(): boolean {
    return this.refusedToken !== undefined && this.refusedToken === this.deps.client.token;
  }

  private needsLogin(reason: string): void {
    if (this.refusedToken === this.deps.client.token) return;
    this.refusedToken = this.deps.client.token;
    this.watch.cancel();
    this.deps.events.onNeedsLogin(reason);
  }

  /** Picks up a login made in another terminal, so the shell need not restart. */
  private reloadSession(): void {
    const session = this.deps.home.loadSession();
    if (!session || session.username !== this.deps.username || session.token === this.deps.client.token) return;
    this.deps.client.token = session.token;
    this.refusedToken = undefined;
    this.watch.cancel(); // re-subscribe with the new token
  }

  private setUp(up: boolean): void {
    const before = this.up;
    this.up = up;
    if (before === false && up) {
      // The gateway is back: whatever made the watch back off belonged to the old one.
      this.watchRetryAtMs = 0;
      this.watchFailures = 0;
    }
    if (before === up || (before === undefined && up)) return;
    this.deps.events.onConnectivity(up);
  }

  /** Wakes the worker when the channel's state changes, so a return or a drop is noticed early. */
  private followChannel(): void {
    if (this.stopped) return;
    const state = this.deps.client.connectivity(false);
    // While down, also wake on a short deadline: a channel can sit in
    // TRANSIENT_FAILURE without further changes, and must be asked again.
    const watchMs = this.up === false ? offlineLimits.channelKickMs : offlineLimits.reconnectMsMax;
    this.deps.client.onConnectivityChange(state, watchMs, () => {
      if (this.stopped) return;
      // Only a drop or a return matters: the transient states a probe passes
      // through must not cut the backoff short.
      const now = this.deps.client.connectivity(false);
      if (now !== state && (now === connectivityState.READY || state === connectivityState.READY)) this.nudge();
      // While the gateway is down, keep the channel trying to connect: grpc
      // spaces its attempts with its own capped backoff (src/rpc/channel.ts),
      // and READY wakes the worker, so a return is noticed within seconds
      // instead of at the next probe, which may be up to reconnectMsMax away.
      if (this.up === false && (now === connectivityState.IDLE || now === connectivityState.TRANSIENT_FAILURE)) this.deps.client.connectivity(true);
      this.followChannel();
    });
  }

  private waitUnlessWoken(waitMs: number): Promise<void> {
    if (this.nudged || this.stopped) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.wake = done;
    });
  }
}
