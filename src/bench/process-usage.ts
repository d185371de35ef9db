// What a process of the bench's cluster has used, read from /proc (Linux):
// its CPU time so far and its peak memory. Elsewhere, or once the process is
// gone, null: the report says n/a.
import { readFileSync } from "node:fs";

/** Peak resident set size of a process (VmHWM), in MiB to one decimal; null when unreadable. */
export function peakMemoryMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null; // not Linux, or the process is gone: the report says n/a
  }
}

/** User plus system CPU time a process has used so far, in ms; null when unreadable. */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * msPerClockTick : null;
  } catch {
    return null; // not Linux, or the process is gone
  }
}

/** USER_HZ is 100 on every Linux we run on. */
const msPerClockTick = 10;
