// How to start this same program again as a child process: the compiled
// binary is process.execPath; from source it is `bun src/main.ts`.
import { join } from "node:path";

export function selfCommand(): string[] {
  const script = process.argv[1];
  if (script && /\.(ts|js)$/.test(script) && !script.startsWith("/$bunfs")) return [process.execPath, script];
  return [process.execPath];
}

export function mainScriptPath(): string {
  return join(import.meta.dir, "..", "main.ts");
}
