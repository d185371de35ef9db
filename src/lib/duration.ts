// Durations on the command line: "250ms", "5s", "2m", "1h".
import { invalid } from "./errors";

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string, field: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw invalid(field, `"${text}" is not a duration such as 250ms, 5s, 2m or 1h`);
  return Number(match[1]) * units[match[2]!]!;
}

export function formatDurationMs(durationMs: number): string {
  if (durationMs % 3_600_000 === 0) return `${durationMs / 3_600_000}h`;
  if (durationMs % 60_000 === 0) return `${durationMs / 60_000}m`;
  if (durationMs % 1000 === 0) return `${durationMs / 1000}s`;
  return `${durationMs}ms`;
}

/** A duration flag within its bounds; outside them, one line naming them. */
export function parseDurationMsWithin(text: string, field: string, bounds: { minMs: number; maxMs: number }): number {
  const durationMs = parseDurationMs(text, field);
  if (durationMs < bounds.minMs || durationMs > bounds.maxMs) throw invalid(field, `"${text}" is out of range: from ${formatDurationMs(bounds.minMs)} to ${formatDurationMs(bounds.maxMs)}`);
  return durationMs;
}
