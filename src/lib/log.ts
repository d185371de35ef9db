// Structured logs: pino JSON lines to stderr or a file (stdout is the CLI's),
// or readable lines when stderr is a terminal. Redaction is enforced here, in
// one place, for every logger in the system: `scrub` runs on every line.
import { writeSync } from "node:fs";
import { dirname } from "node:path";
import pino from "pino";
import { invalid } from "./errors";
import { limits, securityLimits } from "./limits";
import { makePrivateFolder, openFolderWarning, privateFileMode } from "./private-files";

export type Logger = pino.Logger;
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** Keys whose values never reach a log, at any depth (compared lowercased, without - and _). */
const secretKeys = new Set(["password", "oldpassword", "newpassword", "token", "authorization", "otp", "secret", "otpauthuri", "privatekey", "key", "keypem", "passwordhash", "totpsecret", "totppendingsecret", "cookie", "pin", "accountpin", "pinhash"]);
/** Secrets that may hide inside any string: a bearer token, PEM key material. */
const secretPatterns = [/Bearer\s+[A-Za-z0-9._~+\/=-]+/gi, /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g];
const censor = "[redacted]";

function isSecretKey(key: string): boolean {
  return secretKeys.has(key.toLowerCase().replace(/[-_]/g, ""));
}

function scrubText(text: string): string {
  return secretPatterns.reduce((out, pattern) => out.replace(pattern, censor), text);
}

/** A copy of a log object with every secret replaced; errors become plain objects. */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= securityLimits.logScrubDepthMax) return "[too deep]";
  if (value instanceof Error) {
    const { name, message, stack } = value;
    return scrub({ type: name, message, stack, ...(value as unknown as Record<string, unknown>) }, depth);
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = isSecretKey(key) ? censor : scrub(item, depth + 1);
  return out;
}

export interface LogOptions {
  role: string;
  name: string;
  level?: LogLevel;
  /** A file to append to; stderr when absent. */
  file?: string;
  /** Where lines go instead (tests capture logs this way); overrides `file`. */
  stream?: pino.DestinationStream;
  /** Readable lines instead of JSON; default: when logging to stderr and stderr is a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LogOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { role: options.role, name: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), log: (object) => scrub(object) as Record<string, unknown>, bindings: (bindings) => scrub(bindings) as Record<string, unknown> },
    },
    destinationOf(options),
  );
}

function destinationOf(options: LogOptions): pino.DestinationStream {
  if (options.stream) return options.stream;
  const toTerminal = !options.file && Boolean(process.stderr.isTTY);
  if (options.file) makePrivateFolder(dirname(options.file));
  const destination = unfailing(pino.destination({ dest: options.file ?? 2, sync: true, mode: privateFileMode, maxLength: limits.logBufferBytesMax }), options.file ?? "stderr");
  // In-process formatting: pino transports (worker threads) fail in the compiled binary.
  return (options.pretty ?? toTerminal) ? readableStream(destination) : destination;
}

/**
 * A log whose disk is full or gone drops lines and says so on stderr at most
 * once a minute: the write's error must never reach the call that logged it
 * (a server interceptor's status would not be sent, and the server would
 * answer nothing). Writing resumes by itself once the disk takes it again.
 */
function unfailing(destination: ReturnType<typeof pino.destination>, where: string): pino.DestinationStream {
  const { logBufferBytesMax, logFailureNoticeEveryMs } = limits;
  let noticedAtMs = -Infinity;
  const notice = (why: string) => {
    if (Date.now() - noticedAtMs < logFailureNoticeEveryMs) return;
    noticedAtMs = Date.now();
    try {
      writeSync(2, `ministripe: log lines to ${where} are being dropped (${why}); serving goes on\n`);
    } catch {
      // stderr is the log, or gone too: nothing more to say
    }
  };
  destination.on("error", (error: Error) => notice(error.message));
  destination.on("drop", () => notice(`more than ${logBufferBytesMax / 1024 / 1024} MiB waiting`));
  return {
    write(chunk: string) {
      try {
        destination.write(chunk);
      } catch (error) {
        notice((error as Error).message);
      }
    },
  };
}

const levelNames: Record<string, string> = { trace: "TRACE", debug: "DEBUG", info: "INFO ", warn: "WARN ", error: "ERROR", fatal: "FATAL" };
/** Shown first on a readable line, in this order; the rest follow as key=value. */
const leadingKeys = ["time", "level", "role", "name", "msg"];

/** One JSON line -> "12:00:01.123 INFO  gateway/gateway Gateway.Pay code=OK duration_ms=3.1 ..." */
export function readableLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine);
  } catch {
    return jsonLine; // not ours to reformat: pass it through as it came
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : "";
  const head = `${time} ${levelNames[String(entry.level)] ?? String(entry.level)} ${entry.role}/${entry.name} ${entry.msg ?? ""}`;
  const rest = Object.entries(entry)
    .filter(([key, value]) => !leadingKeys.includes(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `${head}${rest.length ? "  " + rest.join(" ") : ""}\n`;
}

function readableStream(destination: pino.DestinationStream): pino.DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split("\n")) if (line) destination.write(readableLine(line));
    },
  };
}

export const silentLogger: Logger = pino({ level: "silent" });

export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const levels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  if (text === undefined) return undefined;
  if (!levels.includes(text as LogLevel)) throw invalid("--log-level", `one of ${levels.join(", ")}`);
  return text as LogLevel;
}

/** At a server's start: one warning line when its data folder is open to others. */
export function warnIfOpenToOthers(dataDir: string, log: Logger): void {
  const warning = openFolderWarning(dataDir);
  if (warning) log.warn({ event: "data.folder_open", path: dataDir }, warning);
}
