// Histogram bucket bounds for the Prometheus metrics. Apart from
// src/rpc/metrics.ts so that the bank and the gateway can name them without
// loading prom-client: that is loaded only with --metrics.

/** Bucket bounds for batch sizes (items per batch). */
export const batchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Bucket bounds in seconds for payment latency: 1 ms to 10 s. */
export const latencySecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
