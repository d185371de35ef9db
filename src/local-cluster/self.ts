// How to start this same program again: as a child process (selfCommand),
// and as a person would type it in a shell (selfInvocation).
import { realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

/** Inside the compiled binary the module lives in Bun's embedded file system. */
function isCompiled(): boolean {
  return import.meta.dir.startsWith("/$bunfs") || import.meta.dir.startsWith("B:\\~BUN");
}

/**
 * The argv that starts this program again: inside the compiled binary it is
 * process.execPath alone; from source (including under `bun test`, where
 * argv[1] is the test file) it is `bun src/main.ts`.
 */
export function selfCommand(): string[] {
  if (isCompiled()) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "..", "main.ts")];
}

/**
 * This program as it can be pasted into a shell in `cwd`: `ministripe` when
 * that name on PATH is this binary, else the binary's path (`./dist/ministripe`);
 * from source, `bun run src/main.ts` (`bun` by name when PATH finds this bun).
 */
export function selfInvocation(cwd = process.cwd(), path = process.env.PATH ?? ""): string {
  if (isCompiled()) {
    if (sameFile(Bun.which("ministripe", { PATH: path }), process.execPath)) return "ministripe";
    return shellWord(pathFrom(cwd, process.execPath, true));
  }
  const bun = sameFile(Bun.which("bun", { PATH: path }), process.execPath) ? "bun" : shellWord(process.execPath);
  return `${bun} run ${shellWord(pathFrom(cwd, join(import.meta.dir, "..", "main.ts"), false))}`;
}

/** A file under cwd relative to it (`./dist/ministripe` for a program, which a shell would look up on PATH without the `./`), else its absolute path. */
function pathFrom(cwd: string, file: string, program: boolean): string {
  const rel = relative(cwd, file);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return file;
  return program ? `./${rel}` : rel;
}

function sameFile(a: string | null, b: string): boolean {
  if (!a) return false;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** A word a POSIX shell reads back as itself: quoted only when it must be. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
