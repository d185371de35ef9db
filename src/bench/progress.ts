// The progress bar of `bench`, on stderr and only when stderr is a terminal
// (a pipe or a CI log gets no control characters). cli-progress draws it.
import { SingleBar } from "cli-progress";
import type { DriveTick } from "./driver";

export interface Progress {
  update(tick: DriveTick): void;
  stop(): void;
}

export function progressBar(unit: string, stream: NodeJS.WriteStream = process.stderr): Progress | undefined {
  if (!stream.isTTY) return undefined;
  const bar = new SingleBar({
    stream,
    format: `bench {phase} |{bar}| {elapsed_s}/{total_s}s  {rate} ${unit}/s  ok {ok}  declined {declined}  errors {errors}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    // A few redraws a second are enough to read, and cost the measured system little.
    fps: 4,
  });
  let last = { atMs: 0, ok: 0 };
  bar.start(1000, 0, { phase: "warm-up", elapsed_s: 0, total_s: 0, rate: 0, ok: 0, declined: 0, errors: 0 });
  return {
    update(tick) {
      // The rate over the last tick, so a stall shows at once rather than averaged away.
      const intervalMs = Math.max(1, tick.elapsedMs - last.atMs);
      const rate = tick.ok >= last.ok ? Math.round(((tick.ok - last.ok) * 1000) / intervalMs) : 0;
      last = { atMs: tick.elapsedMs, ok: tick.ok };
      bar.update(Math.min(1000, Math.round((tick.elapsedMs / tick.totalMs) * 1000)), {
        phase: tick.measuring ? "measuring" : "warm-up",
        elapsed_s: (tick.elapsedMs / 1000).toFixed(1),
        total_s: (tick.totalMs / 1000).toFixed(0),
        rate,
        ok: tick.ok,
        declined: tick.declined,
        errors: tick.errors,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
