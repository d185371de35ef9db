import type { Command } from "./flags";
export const demoCommand: Command = { name: "demo", usage: "demo", summary: "A scripted tour of every feature against a fresh local cluster.", flags: {}, async run() { return 0; } };
