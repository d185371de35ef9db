// Starts `ministripe dashboard` as a process (its one line gives the URL with
// the token) and drives Debian's Chromium through playwright-core: the real
// browser, headless, with a fresh profile; playwright never downloads one.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { mainPath, waitMsMax } from "./cli";

export const chromiumPath = process.env.MINISTRIPE_CHROMIUM ?? "/usr/bin/chromium";

export interface DashboardProcess {
  url: string;
  port: number;
  origin: string;
  /** What it printed up to its URL. */
  printed: string;
  /**
   * SIGTERM, up to 5 s for every process to exit, then SIGKILL to whatever is
   * left (cleanup). Says whether all had exited before that SIGKILL, so that a
   * test can tell a dashboard that stops on SIGTERM from one that was killed.
   */
  stop(): Promise<{ exitedOnSigterm: boolean }>;
}

/** `ministripe dashboard --port 0 ARGS...`, waiting for its line with the URL. */
export async function startDashboardProcess(args: string[], env: Record<string, string> = {}): Promise<DashboardProcess> {
  const child = Bun.spawn(["bun", mainPath, "dashboard", "--port", "0", ...args], { env: { ...(process.env as Record<string, string>), ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return dashboardOf(child, { terminate: () => child.kill("SIGTERM"), kill: () => child.kill(9), alive: () => child.exitCode === null && child.signalCode === null });
}

/**
 * A `dashboard` line as `dev` prints it, with only its `--port N` changed to
 * `--port 0` (the system picks a free port when the dashboard listens, so no
 * port chosen earlier can be taken meanwhile; the real one is read from the
 * printed URL), run as pasted into a shell (sh -c, in a process group of its
 * own, so that stop() reaches the shell and the dashboard it started).
 */
export async function startPastedDashboard(line: string, options: { cwd: string; env: Record<string, string> }): Promise<DashboardProcess> {
  const ports = line.match(/ --port \d+ /g) ?? [];
  if (ports.length !== 1) throw new Error(`not one --port in the printed line: ${line}`);
  const pasted = line.replace(/ --port \d+ /, " --port 0 ");
  const child = Bun.spawn(["sh", "-c", pasted], { cwd: options.cwd, env: options.env, stdin: "ignore", stdout: "pipe", stderr: "pipe", detached: true });
  /** Signals every process of the group; false once none is left. */
  const group = (signal: NodeJS.Signals | 0) => {
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      return false; // ESRCH: the group is gone, nothing left to stop.
    }
  };
  return dashboardOf(child, { terminate: () => group("SIGTERM"), kill: () => group("SIGKILL"), alive: () => group(0) });
}

/** Waits for the dashboard's line with the URL and its token. */
async function dashboardOf(child: Bun.Subprocess<"ignore", "pipe", "pipe">, signals: { terminate(): void; kill(): void; alive(): boolean }): Promise<DashboardProcess> {
  const reader = child.stdout.getReader();
  let seen = "";
  const deadlineAtMs = Date.now() + waitMsMax;
  while (!/\?token=\w+/.test(seen) && Date.now() < deadlineAtMs) {
    const { value, done } = await Promise.race([reader.read(), Bun.sleep(deadlineAtMs - Date.now()).then(() => ({ value: undefined, done: true }))]);
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const match = /(http:\/\/[\d.]+:(\d+))\/\?token=(\w+)/.exec(seen);
  if (!match) {
    signals.kill();
    throw new Error(`dashboard did not start: ${seen} ${await new Response(child.stderr).text()}`);
  }
  return {
    url: match[0],
    port: Number(match[2]),
    origin: match[1]!,
    printed: seen,
    async stop() {
      signals.terminate();
      for (const stopAtMs = Date.now() + 5_000; signals.alive() && Date.now() < stopAtMs; ) await Bun.sleep(50);
      const exitedOnSigterm = !signals.alive();
      signals.kill();
      return { exitedOnSigterm };
    },
  };
}

/** GET `path` as a browser that opened the printed URL: the token in the URL, then its cookie. */
export async function getWithToken(dashboard: DashboardProcess, path: string): Promise<Response> {
  const first = await fetch(dashboard.url, { redirect: "manual" });
  if (first.status !== 303) throw new Error(`${dashboard.url}: HTTP ${first.status}, not the redirect that sets the cookie`);
  const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
  return fetch(`${dashboard.origin}${path}`, { headers: { cookie } });
}

export interface Browser {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile: nothing from another run (no cookie) is there. */
export async function openBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "ministripe-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const docsDir = join(import.meta.dir, "..", "..", "docs");

/**
 * Takes a full-page screenshot of a view. It is saved as docs/NAME (the README's
 * pictures) only when MINISTRIPE_SCREENSHOTS=1 asks for new ones, so that a test
 * run leaves the checkout as it was.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const path = process.env.MINISTRIPE_SCREENSHOTS === "1" ? join(docsDir, name) : undefined;
  await page.screenshot({ path, fullPage: true });
}
