import type { Command } from "./flags";
export const shellCommand: Command = { name: "shell", usage: "shell", summary: "Interactive client with background resend and notifications.", flags: {}, async run() { return 0; } };
