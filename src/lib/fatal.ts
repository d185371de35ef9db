// The one way a programmer error ends: a failed assertion is logged and the
// process stops. A bank and a gateway then recover from their durable state
// when restarted (what recovery is for), instead of running on with a state
// that broke an invariant. Tests running servers inside `bun test` replace
// the handler with one that fails the test instead of exiting the runner
// (tests/support/assertions.ts, installed by the preload).
import type { Logger } from "./log";

/** The exit status of a process stopped by a failed assertion (sysexits' EX_SOFTWARE). */
export const fatalExitCode = 70;

export type FatalHandler = (error: Error) => void;

let fatalLog: Logger | undefined;

/** Logs the assertion (to the server's log when one is set, and one line to stderr) and exits at once. */
const logAndExit: FatalHandler = function logAndExit(error) {
  fatalLog?.fatal({ event: "process.assertion_failed", err: error }, "a programmer error stopped the process; restart it to recover");
  // Also on stderr: the log may be a file, or silenced by --log-level.
  process.stderr.write(`ministripe: ${error.message}; stopping (exit ${fatalExitCode})\n`);
  process.exit(fatalExitCode);
};

let handler: FatalHandler = logAndExit;

/** Called by assert() when an assertion fails; with the default handler it does not return. */
export function fatal(error: Error): void {
  handler(error);
}

/** Where the default handler logs: a server's own log (its --log-file), so the reason is next to what led to it. */
export function logFatalTo(log: Logger): void {
  fatalLog = log;
}

/** Replaces the handler (tests: record instead of exit); returns the one it replaced. */
export function setFatalHandler(next: FatalHandler): FatalHandler {
  const previous = handler;
  handler = next;
  return previous;
}
