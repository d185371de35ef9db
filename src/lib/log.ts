// Structured logs: pino JSON lines to stderr or a file (stdout is the CLI's).
// Redaction is enforced here, in one place, for every logger in the system.
import pino from "pino";

export type Logger = pino.Logger;
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** Fields that must never reach a log, at any depth we log. */
const redactedKeys = [
  "password",
  "old_password",
  "new_password",
  "token",
  "authorization",
  "otp",
  "secret",
  "otpauth_uri",
  "private_key",
  "key_pem",
];
const redactPaths = [...redactedKeys, ...redactedKeys.map((k) => `*.${k}`), ...redactedKeys.map((k) => `*.*.${k}`)];

export interface LogOptions {
  role: string;
  name: string;
  level?: LogLevel;
  /** A file to append to; stderr when absent. */
  file?: string;
}

export function createLogger(options: LogOptions): Logger {
  const destination = pino.destination({ dest: options.file ?? 2, sync: true, mkdir: true });
  return pino(
    {
      level: options.level ?? "info",
      base: { role: options.role, name: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: "silent" });

export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const levels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  if (text === undefined) return undefined;
  if (!levels.includes(text as LogLevel)) throw new Error(`--log-level: one of ${levels.join(", ")}`);
  return text as LogLevel;
}
