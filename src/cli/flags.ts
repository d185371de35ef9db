// Flag parsing for every command, on node:util's parseArgs (part of the
// runtime, strict, no dependency to keep up to date).
import { parseArgs } from "node:util";
import { UsageError } from "./exit";

export interface FlagSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  default?: string | boolean;
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

export function parseFlags(command: Command, argv: string[]): { flags: Flags; positionals: string[]; help: boolean } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; default?: any }> = { help: { type: "boolean" } };
  for (const [name, spec] of Object.entries(command.flags)) options[name] = { type: spec.type, multiple: spec.multiple, default: spec.default };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split("\n")[0]} (see ministripe ${command.name} --help)`);
  }
  const positionals = parsed.positionals;
  if (!parsed.values.help && positionals.length > (command.positionals ?? 0)) {
    throw new UsageError(`unexpected argument "${positionals[command.positionals ?? 0]}" (see ministripe ${command.name} --help)`);
  }
  return { flags: parsed.values as Flags, positionals, help: Boolean(parsed.values.help) };
}

export function helpText(command: Command): string {
  const lines = [`usage: ministripe ${command.usage}`, "", command.summary, ""];
  for (const [name, spec] of Object.entries(command.flags)) {
    const value = spec.type === "string" ? ` ${name.toUpperCase().replace(/-/g, "_")}` : "";
    const fallback = spec.default !== undefined && spec.default !== false ? ` (default ${spec.default})` : "";
    lines.push(`  --${name}${value}`.padEnd(34) + spec.help + fallback);
  }
  lines.push("  --help".padEnd(34) + "show this help");
  return lines.join("\n");
}

export function str(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
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
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name}: a whole number from ${min} to ${max}`);
  return value;
}
