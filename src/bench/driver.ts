// The closed-loop load driver of `bench`: N virtual clients, each sending its
// next request as soon as the last one answered, until the run's end. Pure:
// the operation is passed in, so a test drives it without any server.
import { LatencyHistogram } from "../lib/latency-histogram";
import { benchLimits } from "../lib/limits";

/** What one operation came to: done, declined (a FAILED payment), or an RPC error. */
export type Outcome = { kind: "ok" } | { kind: "declined"; code: string } | { kind: "error"; code: string };

export interface DriveOptions {
  concurrency: number;
  /** Measured time, after the warm-up. */
  durationMs: number;
  /** Time at the start whose operations are run but not counted (JIT, connections, caches). */
  warmupMs: number;
  /** One operation by virtual client `clientIndex`; must not throw (errors are outcomes). */
  operation: (clientIndex: number) => Promise<Outcome>;
  /** Called about every `tickMs` with the counts so far (the progress bar). */
  onTick?: (tick: DriveTick) => void;
  tickMs?: number;
  /** Called once when the warm-up ends and measuring starts (CPU counters are read then). */
  onMeasureStart?: () => void;
  nowMs?: () => number;
}

export interface DriveTick {
  elapsedMs: number;
  totalMs: number;
  measuring: boolean;
  ok: number;
  declined: number;
  errors: number;
}

export interface DriveResult {
  /** Measured wall time: from the end of the warm-up to the last answer. */
  measuredMs: number;
  ok: number;
  /** Latency of every answered operation in the measured window, whatever its outcome. */
  latency: LatencyHistogram;
  declinedByCode: Record<string, number>;
  errorsByCode: Record<string, number>;
}

export async function drive(options: DriveOptions): Promise<DriveResult> {
  const nowMs = options.nowMs ?? (() => performance.now());
  const startedAtMs = nowMs();
  const measureFromAtMs = startedAtMs + options.warmupMs;
  const endAtMs = measureFromAtMs + options.durationMs;
  const result: DriveResult = { measuredMs: 0, ok: 0, latency: new LatencyHistogram(), declinedByCode: {}, errorsByCode: {} };
  const tally = { ok: 0, declined: 0, errors: 0 };
  const ticker = startTicker(options, () => ({ elapsedMs: nowMs() - startedAtMs, totalMs: endAtMs - startedAtMs, measuring: nowMs() >= measureFromAtMs, ...tally }));
  const measureTimer = setTimeout(() => options.onMeasureStart?.(), options.warmupMs);
  const client = async (clientIndex: number) => {
    for (let n = 0; n < benchLimits.operationsPerClientMax && nowMs() < endAtMs; n++) {
      const sentAtMs = nowMs();
      const outcome = await options.operation(clientIndex);
      tallyOf(tally, outcome);
      if (sentAtMs < measureFromAtMs) continue;
      result.latency.record(nowMs() - sentAtMs);
      count(result, outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, (_, i) => client(i)));
  } finally {
    if (ticker) clearInterval(ticker);
    clearTimeout(measureTimer);
  }
  result.measuredMs = Math.max(1, nowMs() - measureFromAtMs);
  return result;
}

/** Counts a measured operation into the result. */
function count(result: DriveResult, outcome: Outcome): void {
  if (outcome.kind === "ok") result.ok += 1;
  else if (outcome.kind === "declined") result.declinedByCode[outcome.code] = (result.declinedByCode[outcome.code] ?? 0) + 1;
  else result.errorsByCode[outcome.code] = (result.errorsByCode[outcome.code] ?? 0) + 1;
}

/** Counts every operation, warm-up included, for the progress bar. */
function tallyOf(tally: { ok: number; declined: number; errors: number }, outcome: Outcome): void {
  if (outcome.kind === "ok") tally.ok += 1;
  else if (outcome.kind === "declined") tally.declined += 1;
  else tally.errors += 1;
}

function startTicker(options: DriveOptions, snapshot: () => DriveTick): ReturnType<typeof setInterval> | undefined {
  const onTick = options.onTick;
  if (!onTick) return undefined;
  return setInterval(() => onTick(snapshot()), options.tickMs ?? 250);
}

/** Operations per second over the measured window. */
export function ratePerS(count: number, measuredMs: number): number {
  return (count * 1000) / measuredMs;
}

/** Runs `fn` over `items` with at most `parallelMax` at once; results keep the items' order. */
export async function mapBounded<T, R>(items: T[], parallelMax: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelMax, items.length) }, worker));
  return results;
}
