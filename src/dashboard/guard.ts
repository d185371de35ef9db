// Who may use the dashboard, as Jupyter does it: a random token printed at
// start (in the first URL, then an HttpOnly SameSite=Strict cookie named for
// the port), the Host header checked against the dashboard's own address (a
// DNS-rebinding page has another name), and a per-page token on every post
// (with the cookie alone, another site could post a form: CSRF).
import { timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { dashboardLimits } from "../lib/limits";

export type Verdict = { ok: true; setCookie?: string; redirect?: string } | { ok: false; status: 401 | 403; message: string };

export class Guard {
  readonly token = randomToken();
  private readonly pageTokens = new Set<string>();

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  get cookieName(): string {
    return `ministripe-dashboard-${this.port}`;
  }

  /** The Host header must name this server: an IP address or localhost with its port, or the --host it was given. */
  hostAllowed(hostHeader: string | null): boolean {
    if (!hostHeader) return false;
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d+)$/.exec(hostHeader);
    if (!match || Number(match[2]) !== this.port) return false;
    const name = match[1]!.replace(/^\[|\]$/g, "").toLowerCase();
    return isIP(name) !== 0 || name === "localhost" || name === this.host.toLowerCase();
  }

  /** Any request: the Host header, then the token from the URL (which sets the cookie) or the cookie. */
  admit(request: Request, url: URL): Verdict {
    if (!this.hostAllowed(request.headers.get("host"))) return { ok: false, status: 403, message: "refused: the Host header is not this dashboard's address" };
    const fromUrl = url.searchParams.get("token");
    if (fromUrl !== null) {
      if (!sameSecret(fromUrl, this.token)) return { ok: false, status: 403, message: "wrong token: use the URL the dashboard printed at start" };
      // The token leaves the address bar (and the history) at once; the cookie carries it from here.
      const cookie = `${this.cookieName}=${this.token}; HttpOnly; SameSite=Strict; Path=/`;
      return { ok: true, setCookie: cookie, redirect: url.pathname === "/" ? "/" : undefined };
    }
    const fromCookie = cookieValue(request.headers.get("cookie"), this.cookieName);
    if (fromCookie === undefined) return { ok: false, status: 401, message: "this dashboard needs the token it printed at start: open the URL with ?token=..." };
    if (!sameSecret(fromCookie, this.token)) return { ok: false, status: 403, message: "wrong token: use the URL the dashboard printed at start" };
    return { ok: true };
  }

  /** A new token for one page served; posts from that page must carry it. */
  issuePageToken(): string {
    const pageToken = randomToken();
    this.pageTokens.add(pageToken);
    if (this.pageTokens.size > dashboardLimits.pageTokensMax) this.pageTokens.delete(this.pageTokens.values().next().value!);
    return pageToken;
  }

  /** A post: its page's token in x-page-token, JSON, and (when the browser says) from this origin. */
  admitPost(request: Request): Verdict {
    const pageToken = request.headers.get("x-page-token");
    if (!pageToken || !this.pageTokens.has(pageToken)) return { ok: false, status: 403, message: "refused: this form post does not carry its page's token; reload the page" };
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== `http://${request.headers.get("host")}`) return { ok: false, status: 403, message: "refused: a post from another origin" };
    if (!request.headers.get("content-type")?.startsWith("application/json")) return { ok: false, status: 403, message: "refused: posts are JSON" };
    return { ok: true };
  }
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}

/** 127.0.0.1, ::1 or localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
