// Shared by the server commands: logging flags and running until a signal.
import { createLogger, parseLogLevel, type Logger } from "../lib/log";
import { str, type FlagSpecs, type Flags } from "./flags";

export const logFlags: FlagSpecs = {
  "log-level": { type: "string", value: "LEVEL", help: "trace, debug, info, warn, error or silent", default: "info" },
  "log-file": { type: "string", value: "FILE", help: "append JSON log lines to this file instead of stderr" },
};

export function serverLogger(flags: Flags, role: string, name: string): Logger {
  return createLogger({ role, name, level: parseLogLevel(str(flags, "log-level")) ?? "info", file: str(flags, "log-file") });
}

/** Resolves when SIGINT or SIGTERM arrives, after `stop` finished. */
export function runUntilSignal(stop: () => Promise<void>, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ event: "server.stopping", signal }, "stopping");
      void stop().finally(() => resolve(0));
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
}
