// The client home: session token (mode 0600), outbox database, log, certs.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface SavedSession {
  username: string;
  token: string;
  expiresAtMs: number;
  gateway: string;
}

export class ClientHome {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  static defaultDir(): string {
    return process.env.MINISTRIPE_HOME || join(homedir(), ".ministripe");
  }

  get outboxPath(): string {
    return join(this.dir, "outbox.db");
  }

  get logPath(): string {
    return join(this.dir, "client.log");
  }

  get certsDir(): string {
    return join(this.dir, "certs");
  }

  /** What must stay the user's own: the session token, the queue (payments not yet sent), the log, the client key. */
  get privateFiles(): string[] {
    return [this.sessionPath, this.outboxPath, `${this.outboxPath}-wal`, this.logPath, join(this.certsDir, "key.pem")];
  }

  private get sessionPath(): string {
    return join(this.dir, "session.json");
  }

  loadSession(): SavedSession | undefined {
    if (!existsSync(this.sessionPath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.sessionPath, "utf8")) as SavedSession;
    } catch {
      return undefined; // a damaged session file is the same as none: log in again
    }
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a token. */
  saveSession(session: SavedSession): void {
    const temporary = `${this.sessionPath}.tmp`;
    writeFileSync(temporary, JSON.stringify(session), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.sessionPath);
  }

  clearSession(): void {
    rmSync(this.sessionPath, { force: true });
  }
}
