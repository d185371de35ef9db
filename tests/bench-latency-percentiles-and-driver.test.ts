// Proves the bench's latency histogram reports percentiles within its stated precision, and the driver counts outcomes only after the warm-up.
import { expect, test } from "bun:test";
import { drive, mapBounded, type Outcome } from "../src/bench/driver";
import { LatencyHistogram } from "../src/lib/latency-histogram";
import { expectAssertion } from "./support/assertions";

test("percentiles of 1..10000 ms are within 1.6% and max is exact", () => {
  const histogram = new LatencyHistogram();
  for (let ms = 1; ms <= 10_000; ms++) histogram.record(ms);
  for (const [percent, exactMs] of [[50, 5_000], [95, 9_500], [99, 9_900], [100, 10_000]] as const) {
    const ms = histogram.percentileMs(percent);
    expect(Math.abs(ms - exactMs) / exactMs).toBeLessThan(0.016);
  }
  expect(histogram.latencyMsMax).toBe(10_000);
  expect(histogram.count).toBe(10_000);
  expect(histogram.latencyMsMean).toBeCloseTo(5_000.5, 1);
});

test("sub-millisecond latencies keep microsecond precision; an empty histogram reports 0", () => {
  const histogram = new LatencyHistogram();
  expect(histogram.percentileMs(99)).toBe(0);
  histogram.record(0.042);
  histogram.record(0.05);
  expect(histogram.percentileMs(50)).toBe(0.042);
  expect(histogram.percentileMs(100)).toBe(0.05);
});

test("a negative or non-finite latency is a programmer error", () => {
  const histogram = new LatencyHistogram();
  expectAssertion(() => histogram.record(-1));
  expectAssertion(() => histogram.record(Number.NaN));
});

test("merging two histograms equals recording into one", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  const both = new LatencyHistogram();
  for (let i = 0; i < 1000; i++) {
    (i % 2 ? a : b).record(i * 0.7);
    both.record(i * 0.7);
  }
  a.merge(b);
  expect(a.percentileMs(99)).toBe(both.percentileMs(99));
  expect(a.count).toBe(both.count);
  expect(a.latencyMsMax).toBe(both.latencyMsMax);
});

test("the driver counts ok, declined and errors by code, only after the warm-up, on a fake clock", async () => {
  let clockMs = 0;
  const outcomes: Outcome[] = [{ kind: "ok" }, { kind: "declined", code: "insufficient_funds" }, { kind: "error", code: "UNAVAILABLE" }, { kind: "ok" }];
  let n = 0;
  const result = await drive({
    concurrency: 1,
    durationMs: 40,
    warmupMs: 10,
    nowMs: () => clockMs,
    // Each operation takes 5 ms of fake time: 2 in the warm-up, then 8 measured.
    operation: async () => {
      clockMs += 5;
      return outcomes[n++ % outcomes.length]!;
    },
  });
  expect(result.latency.count).toBe(8);
  expect(result.ok).toBe(4);
  expect(result.declinedByCode).toEqual({ insufficient_funds: 2 });
  expect(result.errorsByCode).toEqual({ UNAVAILABLE: 2 });
  expect(result.latency.percentileMs(50)).toBe(5);
});

test("mapBounded keeps order and never runs more than its bound at once", async () => {
  let running = 0;
  let runningMax = 0;
  const results = await mapBounded([1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
    running += 1;
    runningMax = Math.max(runningMax, running);
    await Bun.sleep(1);
    running -= 1;
    return x * 10;
  });
  expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
  expect(runningMax).toBe(3);
});
