import type { Command } from "./flags";
export const benchCommand: Command = { name: "bench", usage: "bench", summary: "Load test: payments/s and latency through full 2PC.", flags: {}, async run() { return 0; } };
