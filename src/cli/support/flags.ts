// Flag parsing for every command (the CLI and the shell use this one parser).
// Our own rather than node:util's parseArgs: its messages are its own
// ("argument is ambiguous", "To specify a positional argument ..."), it takes
// the last of a repeated flag silently, and it refuses a value such as "-1".
import { UsageError } from "./exit";

export interface FlagSpec {
  type: "string" | "boolean";
  /** May be given more than once (collected in order); otherwise a second one is refused. */
  multiple?: boolean;
  default?: string | boolean;
  /** What the value is, as help shows it: DURATION, DIR, HOST:PORT (default: the name in capitals). */
  value?: string;
  help: string;
}
export type FlagSpecs = Record<string, FlagSpec>;
export type Flags = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  name: string;
  usage: string;
  summary: string;
  flags: FlagSpecs;
  /** Positional arguments the command takes (0 when absent). */
  positionals?: number;
  run(flags: Flags, positionals: string[]): Promise<number>;
}

export interface ParsedFlags {
  flags: Flags;
  positionals: string[];
  help: boolean;
}

export function parseFlags(command: Command, argv: string[]): ParsedFlags {
  const flags: Flags = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") help = true;
    else if (!arg.startsWith("-") || arg === "-") positionals.push(arg);
    else i = takeFlag(command, argv, i, flags);
  }
  if (!help && positionals.length > (command.positionals ?? 0)) {
    throw new UsageError(`unexpected argument "${positionals[command.positionals ?? 0]}" (see ministripe ${command.name} --help)`);
  }
  for (const [name, spec] of Object.entries(command.flags)) {
    if (flags[name] === undefined && spec.default !== undefined) flags[name] = spec.default;
  }
  return { flags, positionals, help };
}

/** Reads the flag at argv[i] (and its value) into `flags`; returns the index of the last word used. */
function takeFlag(command: Command, argv: string[], i: number, flags: Flags): number {
  const arg = argv[i]!;
  const equals = arg.indexOf("=");
  const name = arg.startsWith("--") ? arg.slice(2, equals < 0 ? undefined : equals) : arg;
  const spec = Object.hasOwn(command.flags, name) ? command.flags[name]! : undefined;
  if (!spec) throw unknownFlag(command, arg.startsWith("--") ? `--${name}` : arg);
  let value: string | true;
  let last = i;
  if (spec.type === "boolean") {
    if (equals >= 0) throw new UsageError(`--${name} takes no value (see ministripe ${command.name} --help)`);
    value = true;
  } else if (equals >= 0) {
    value = arg.slice(equals + 1);
  } else {
    // Any next word is the value ("--amount -1" is an amount to check), unless it is one of this command's flags.
    const next = argv[i + 1];
    if (next === undefined || isFlagOf(command, next)) throw new UsageError(`--${name} needs a value: --${name} ${valueName(name, spec)}`);
    value = next;
    last = i + 1;
  }
  if (spec.multiple) {
    const values = (flags[name] as string[] | undefined) ?? [];
    values.push(value as string);
    flags[name] = values;
  } else {
    if (flags[name] !== undefined) throw new UsageError(`--${name} given twice: give it once`);
    flags[name] = value;
  }
  return last;
}

function isFlagOf(command: Command, word: string): boolean {
  if (!word.startsWith("--")) return false;
  const name = word.slice(2).split("=", 1)[0]!;
  return name === "help" || name === "" || Object.hasOwn(command.flags, name);
}

function unknownFlag(command: Command, flag: string): UsageError {
  const near = nearestFlag(command, flag);
  const hint = near ? `; did you mean --${near}?` : "";
  return new UsageError(`unknown flag ${flag}${hint} (see ministripe ${command.name} --help)`);
}

/** The command's flag closest to a mistyped one (a typo, a missing or extra letter), if any is close. */
function nearestFlag(command: Command, typed: string): string | undefined {
  return nearestName(typed.replace(/^-+/, "").split("=", 1)[0]!, [...Object.keys(command.flags), "help"]);
}

/** The name closest to a mistyped one, if one is close enough to be what was meant; ties go to the first. */
export function nearestName(typed: string, names: string[]): string | undefined {
  const word = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  for (const name of names) {
    const distance = editDistance(word, name);
    if (distance <= bestDistance) {
      best = name;
      bestDistance = distance - 1; // only a strictly closer one replaces it
    }
  }
  return best;
}

/** Levenshtein distance, with an adjacent swap counting as one edit; inputs are short flag names. */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.max(a.length, b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

function valueName(name: string, spec: FlagSpec): string {
  return spec.value ?? name.toUpperCase().replace(/-/g, "_");
}

export function helpText(command: Command): string {
  const rows: [string, string][] = Object.entries(command.flags).map(([name, spec]) => {
    const value = spec.type === "string" ? ` ${valueName(name, spec)}` : "";
    const fallback = spec.default !== undefined && spec.default !== false ? ` (default ${spec.default})` : "";
    return [`  --${name}${value}`, spec.help + fallback];
  });
  rows.push(["  --help", "show this help"]);
  // The column is as wide as the widest flag, so a long one never runs into its text.
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [`usage: ministripe ${command.usage}`, "", command.summary, "", ...rows.map(([left, text]) => left.padEnd(width) + text)].join("\n");
}

export function str(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
}

/** --otp: empty when not given; a typo is the user's (exit 2), not a failed check counted against the account. */
export function otpFlag(flags: Flags): string {
  const otp = str(flags, "otp") ?? "";
  if (otp !== "" && !/^\d{6}$/.test(otp)) throw new UsageError("--otp: the 6-digit code your authenticator app shows");
  return otp;
}

export function need(flags: Flags, name: string): string {
  const value = str(flags, name);
  if (value === undefined || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

export function list(flags: Flags, name: string): string[] {
  const value = flags[name];
  if (Array.isArray(value)) return value;
  if (typeof value === "string") return value.split(",").map((s) => s.trim()).filter(Boolean);
  return [];
}

export function bool(flags: Flags, name: string): boolean {
  return flags[name] === true;
}

export function intFlag(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const text = str(flags, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name}: a whole number from ${min} to ${max}`);
  return value;
}
