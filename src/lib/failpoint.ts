// Crash points for fault-injection tests: a process started with
// MINISTRIPE_FAILPOINTS=name[,name...] kills itself with SIGKILL when it
// reaches a named point, so tests can crash a real process at an exact step
// of the protocol (after a vote is on disk, before a decision is sent...).
// Unset, every failpoint is a no-op: one Set lookup.

const armed = new Set(
  (process.env.MINISTRIPE_FAILPOINTS ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean),
);

export type FailpointName =
  | "bank.prepare.before"
  | "bank.prepare.after"
  | "bank.commit.before"
  | "bank.commit.after"
  | "gateway.claim.recorded"
  | "gateway.votes.collected"
  | "gateway.decision.recorded";

export function failpoint(name: FailpointName): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.stderr.write(`failpoint ${name}: killing process ${process.pid}\n`);
  process.kill(process.pid, "SIGKILL");
}
