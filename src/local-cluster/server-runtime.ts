// JSC sizes its garbage-collected heap from the machine's RAM: on a host with
// 24 GB a server lets ~50 MB of garbage pile up between full collections. A
// server tells it 1 GB instead (the gateway at c64: ~170 -> ~150 MiB peak,
// payments/s unchanged; docs/performance.md). JSC reads the option only when
// the process starts, so a server started without it restarts itself once
// with it: execve, the same process (same pid, files and terminal).
import { selfCommand } from "./self";

/** What server processes run with; the cluster passes it to the ones it starts. */
export const serverRuntimeEnv: Record<string, string> = { BUN_JSC_forceRAMSize: String(1024 ** 3) };

const serverCommands = new Set(["gateway", "bank", "bench-ceiling-server"]);

/** Replaces this process with itself under the server options, when it is to be a server without them. */
export function restartAsServerIfNeeded(argv: string[]): void {
  if (!serverCommands.has(argv[0] ?? "")) return;
  if (Object.keys(serverRuntimeEnv).every((name) => process.env[name] !== undefined)) return;
  // Where execve is missing (not on Linux or macOS), the server runs with JSC's defaults.
  if (typeof process.execve !== "function") return;
  const [executable, ...script] = selfCommand();
  // execArgv: Bun's own flags (--smol, say) survive the restart.
  process.execve(executable!, [executable!, ...process.execArgv, ...script, ...argv], { ...process.env, ...serverRuntimeEnv } as Record<string, string>);
}
