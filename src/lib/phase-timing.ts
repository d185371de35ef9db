// Where the hot paths say which phase of a payment they are in, so that a
// performance probe (src/bench/probe.ts, preloaded into a bench's processes)
// can time each one. Nothing observes them in production: a phase then costs
// one call. The phases are named here, at the calls, and not by the method
// names a probe would patch: a renamed method keeps its phase, and a phase
// renamed here fails the type check wherever it is still used.

/** The phases, without the process's role (the probe adds it: `gateway.pay.total`). */
export type Phase =
  /** A payment in the gateway, from the claim to the answer. */
  | "pay.total"
  /** Phase one: the banks' votes collected. */
  | "phase_one.votes"
  /** The decision written and fsynced. */
  | "decision.durable"
  /** Phase two: the banks' acknowledgements, within the wait the payment allows. */
  | "phase_two.acks"
  /** A write waiting for its group commit. */
  | "wait.write"
  /** A prepare waiting for its bank's vote (batched into one Exchange). */
  | "wait.prepare_vote"
  /** A commit or abort waiting for its bank's acknowledgement (batched into one Exchange). */
  | "wait.phase_two_ack"
  /** One SQLite transaction (a synchronous call). */
  | "sqlite.transaction"
  /** A session token checked against its client certificate. */
  | "session.authenticate"
  /** A bank's grouped batches of prepares, commits and aborts, in one transaction. */
  | "group.transaction";

export interface PhaseObserver {
  /** Runs `run` (once, at once) and returns what it returns, having timed it. */
  timed<T>(phase: Phase, run: () => T): T;
}

let observer: PhaseObserver | undefined;

/** Sets the one observer of this process (undefined: none); returns the one it replaces. */
export function observePhases(next: PhaseObserver | undefined): PhaseObserver | undefined {
  const previous = observer;
  observer = next;
  return previous;
}

/** Runs one phase: told to the observer when there is one. */
export function timedPhase<T>(phase: Phase, run: () => T): T {
  return observer === undefined ? run() : observer.timed(phase, run);
}
