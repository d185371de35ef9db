// Crash points for fault-injection tests: a process started with
// MINISTRIPE_FAILPOINTS=name[,name...] kills itself with SIGKILL when it
// reaches a named point, so tests can crash a real process at an exact step
// of the protocol (after a vote is on disk, before a decision is sent...).
// `name=assert` fails an assertion there instead: the process stops through
// the fatal handler, as a programmer error would stop it.
// Unset, every failpoint is a no-op: one Map lookup.
import { assert } from "./assert";

type FailpointAction = "kill" | "assert";

const armed = new Map<string, FailpointAction>(
  (process.env.MINISTRIPE_FAILPOINTS ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, action] = entry.split("=", 2).map((part) => part.trim());
      return [name!, action === "assert" ? "assert" : "kill"];
    }),
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
  if (armed.size === 0) return;
  const action = armed.get(name);
  if (action === undefined) return;
  if (action === "assert") assert(false, `failpoint ${name} armed to fail an assertion`);
  process.stderr.write(`failpoint ${name}: killing process ${process.pid}\n`);
  process.kill(process.pid, "SIGKILL");
}
