// How to start this same program again as a child process: inside the
// compiled binary it is process.execPath alone; from source (including under
// `bun test`, where argv[1] is the test file) it is `bun src/main.ts`.
import { join } from "node:path";

export function selfCommand(): string[] {
  if (import.meta.dir.startsWith("/$bunfs") || import.meta.dir.startsWith("B:\\~BUN")) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}
