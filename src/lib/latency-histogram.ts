// A latency histogram in fixed memory: log-linear buckets (each power of two
// of microseconds split into 64 sub-buckets), so any percentile is within
// about 1.6% of the true value however long a benchmark runs.
import { assert } from "./assert";

const subBucketBits = 6;
const subBucketCount = 1 << subBucketBits;
/** Powers of two of microseconds covered: 2^36 us is about 19 hours. */
const magnitudeCount = 36;

export class LatencyHistogram {
  private readonly counts = new Float64Array(magnitudeCount * subBucketCount);
  private countTotal = 0;
  private sumUs = 0;
  private maxUs = 0;

  record(latencyMs: number): void {
    assert(Number.isFinite(latencyMs) && latencyMs >= 0, "a latency is a finite, non-negative number");
    const latencyUs = Math.round(latencyMs * 1000);
    this.counts[bucketOf(latencyUs)]! += 1;
    this.countTotal += 1;
    this.sumUs += latencyUs;
    if (latencyUs > this.maxUs) this.maxUs = latencyUs;
  }

  get count(): number {
    return this.countTotal;
  }

  get latencyMsMax(): number {
    return this.maxUs / 1000;
  }

  get latencyMsMean(): number {
    return this.countTotal === 0 ? 0 : this.sumUs / this.countTotal / 1000;
  }

  /** The latency at or below which `percent` of the recorded values fall (0 when empty). */
  percentileMs(percent: number): number {
    assert(percent > 0 && percent <= 100, "a percentile is in (0, 100]");
    if (this.countTotal === 0) return 0;
    const rank = Math.ceil((percent / 100) * this.countTotal);
    let seen = 0;
    for (let bucket = 0; bucket < this.counts.length; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(upperBoundUs(bucket), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** Adds another histogram's values into this one (per-worker histograms merged at the end). */
  merge(other: LatencyHistogram): void {
    for (let bucket = 0; bucket < this.counts.length; bucket++) this.counts[bucket]! += other.counts[bucket]!;
    this.countTotal += other.countTotal;
    this.sumUs += other.sumUs;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }
}

/** Values below 64 us get one bucket each; above, 64 buckets per power of two. */
function bucketOf(valueUs: number): number {
  if (valueUs < subBucketCount) return valueUs;
  const magnitude = Math.min(Math.floor(Math.log2(valueUs)) - subBucketBits + 1, magnitudeCount - 1);
  const sub = Math.min(Math.floor(valueUs / 2 ** (magnitude - 1)) - subBucketCount, subBucketCount - 1);
  return magnitude * subBucketCount + sub;
}

function upperBoundUs(bucket: number): number {
  const magnitude = Math.floor(bucket / subBucketCount);
  const sub = bucket % subBucketCount;
  if (magnitude === 0) return sub;
  return (subBucketCount + sub + 1) * 2 ** (magnitude - 1) - 1;
}
