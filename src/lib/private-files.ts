// Data stays with the user who runs ministripe: folders it creates are 0700,
// database and log files 0600 (SQLite gives a database's WAL and SHM files the
// database file's mode). gateway.db holds password, session and TOTP hashes; a
// bank's database its customers' money. An existing folder is left as its
// owner set it, but a server says at start when others can read it.
import { closeSync, mkdirSync, openSync, statSync } from "node:fs";

const privateFolderMode = 0o700;
export const privateFileMode = 0o600;

/** Creates the folder (and missing parents) readable by its owner only; an existing one is left as it is. */
export function makePrivateFolder(path: string): void {
  mkdirSync(path, { recursive: true, mode: privateFolderMode });
}

/** Creates an empty file readable by its owner only, unless something is there already (left as it is). */
export function makePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", privateFileMode));
  } catch (error) {
    if ((error as { code?: string }).code !== "EEXIST") throw error;
  }
}

/**
 * The folder's permission bits when users other than its owner can read or
 * enter it (any group or other bit: PostgreSQL's rule for its data folder),
 * or undefined when it is private or missing.
 */
function openToOthers(path: string): number | undefined {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return undefined; // not there yet: it will be created private
  }
  return (mode & 0o077) === 0 ? undefined : mode;
}

/**
 * One line when others can read one of `files` (paths in `folder`): the
 * folder and the file both open to them. A folder open to others whose files
 * are private (ministripe makes them 0600) exposes names only: no warning,
 * so every client command in a home made by a plain mkdir keeps its one line.
 */
export function openFilesWarning(folder: string, files: string[], what: string): string | undefined {
  const mode = openToOthers(folder);
  if (mode === undefined) return undefined;
  // Writable by others: they could delete the queue (payments whose outcome is unknown) or put another CA in its place.
  if ((mode & 0o022) !== 0) return `${what} ${folder} can be changed by other users (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 700 ${folder}`;
  for (const file of files) {
    const mode = openToOthers(file);
    if (mode !== undefined) return `${what} ${folder} lets other users read ${file} (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 700 ${folder}`;
  }
  return undefined;
}

/** One line when a data folder (or a client home: `what`) is open to others, or undefined. */
export function openFolderWarning(path: string, what = "data folder"): string | undefined {
  const mode = openToOthers(path);
  if (mode === undefined) return undefined;
  return `${what} ${path} can be read by other users (mode ${mode.toString(8).padStart(4, "0")}); run: chmod 700 ${path}`;
}
