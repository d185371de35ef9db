// The dashboard's web server (Bun.serve): the page and its script and style,
// embedded in the binary as text, and a small JSON API over the gateway
// calls of the admin or the user view. Every request passes the Guard.
import { AppError, Code, toAppError } from "../lib/errors";
import { dashboardLimits } from "../lib/limits";
import type { Logger } from "../lib/log";
import { LiveRate, type AdminView } from "./admin-view";
import appJs from "./assets/app.js.txt" with { type: "text" };
import pageImport from "./assets/page.html" with { type: "text" };
import styleCss from "./assets/style.css" with { type: "text" };
import { serveWeb } from "../lib/web";
import { inUsersWords } from "../client/users-words";
import { Guard } from "./guard";
import type { UserView } from "./user-view";

// Imported as text (the attribute), though @types/bun types an .html import as a bundle.
const pageHtml = pageImport as unknown as string;

export type View = { kind: "admin"; admin: AdminView; identity: string } | { kind: "user"; user: UserView; identity: string };

export interface DashboardOptions {
  host: string;
  port: number;
  view: View;
  log: Logger;
}

export interface RunningDashboard {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const securityHeaders = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

export function startDashboard(options: DashboardOptions): RunningDashboard {
  let guard: Guard | undefined;
  let streams = 0;
  /** The open event streams' timers (at most eventStreamsMax), stopped with the server. */
  const timers = new Set<ReturnType<typeof setInterval>>();
  const admitted = async (request: Request, url: URL): Promise<Response> => {
    const verdict = guard!.admit(request, url);
    if (!verdict.ok) return text(verdict.message, verdict.status);
    if (verdict.redirect) return new Response(null, { status: 303, headers: { location: verdict.redirect, "set-cookie": verdict.setCookie!, ...securityHeaders } });
    const response = await route(request, url);
    if (verdict.setCookie) response.headers.append("set-cookie", verdict.setCookie);
    return response;
  };
  const server = serveWeb({ host: options.host, port: options.port, idleTimeoutS: 30, plain: text, fetch: admitted });
  guard = new Guard(options.host, server.port!);
  const view = options.view;

  const route = async (request: Request, url: URL): Promise<Response> => {
    try {
      if (request.method === "GET") return await get(url);
      // A HEAD is a GET without its body (a live event stream is not opened for it).
      if (request.method === "HEAD") return url.pathname === "/api/events" ? new Response(null, { headers: securityHeaders }) : withoutBody(await get(url));
      if (request.method !== "POST") return withAllow(text("method not allowed", 405));
      const admitted = guard!.admitPost(request);
      if (!admitted.ok) return text(admitted.message, admitted.status);
      return await post(url.pathname, await bodyOf(request));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === Code.Internal || appError.code === Code.Unknown) options.log.error({ event: "dashboard.failed", path: url.pathname, err: appError.cause ?? appError }, "dashboard request failed");
      return json({ error: inUsersWords(appError) }, httpStatusOf(appError.code));
    }
  };

  const get = async (url: URL): Promise<Response> => {
    switch (url.pathname) {
      case "/":
        return new Response(pageHtml.replace("__PAGE_TOKEN__", guard!.issuePageToken()).replace("__VIEW__", view.kind), { headers: { "content-type": "text/html; charset=utf-8", ...securityHeaders } });
      case "/app.js":
        return new Response(appJs, { headers: { "content-type": "text/javascript; charset=utf-8", ...securityHeaders } });
      case "/style.css":
        return new Response(styleCss, { headers: { "content-type": "text/css; charset=utf-8", ...securityHeaders } });
      case "/api/state":
        return json({ identity: view.identity, ...(view.kind === "admin" ? await view.admin.state() : await view.user.state()) });
      case "/api/payments": {
        // A page of payments, newest first: those before `before` (the last one of the page shown), for the older ones.
        const before = (url.searchParams.get("before") ?? "").slice(0, 255);
        const payments = view.kind === "admin" ? await view.admin.search((url.searchParams.get("q") ?? "").slice(0, 255), before) : await view.user.payments(before);
        return json({ payments, page_size: dashboardLimits.paymentsListed });
      }
      case "/api/events":
        if (view.kind !== "admin") return json({ error: "the admin view only" }, 404);
        if (streams >= dashboardLimits.eventStreamsMax) return text("too many open dashboards", 503);
        return eventStream(view.admin);
      default:
        return text("not found", 404);
    }
  };

  const post = async (path: string, body: Record<string, unknown>): Promise<Response> => {
    if (path === "/api/audit" && view.kind === "admin") return json({ audit: await view.admin.runAudit(Date.now()) });
    if ((path === "/api/pay" || path === "/api/refund") && view.kind === "user") {
      const answer = path === "/api/pay" ? await view.user.pay(body) : await view.user.refund(body);
      return json(answer.body, answer.status);
    }
    return text("not found", 404);
  };

  /** Server-sent events: the live figures every second, the banks every few seconds. */
  const eventStream = (admin: AdminView): Response => {
    const live = new LiveRate();
    let tick = 0;
    let timer: ReturnType<typeof setInterval> | undefined;
    streams += 1;
    const stream = new ReadableStream<string>({
      start(controller) {
        const push = async () => {
          const event: Record<string, unknown> = { gateway: admin.gateway };
          try {
            const reading = await admin.counters();
            Object.assign(event, { reachable: true }, live.next(reading));
            if (tick % dashboardLimits.bankReadEveryTicks === 0) event.banks = await admin.banks();
          } catch (error) {
            Object.assign(event, { reachable: false, error: toAppError(error).message });
          }
          tick += 1;
          try {
            controller.enqueue(`event: stats\ndata: ${JSON.stringify(event)}\n\n`);
          } catch {
            // The page went away between two ticks; cancel() stops the timer.
          }
        };
        void push();
        timer = setInterval(() => void push(), dashboardLimits.statsIntervalMs);
        timers.add(timer);
      },
      cancel() {
        clearInterval(timer);
        if (timer) timers.delete(timer);
        streams -= 1;
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream", ...securityHeaders } });
  };

  if (view.kind === "user") view.user.start();
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    port: server.port!,
    url: `http://${shownHost === "0.0.0.0" || shownHost === "[::]" ? "127.0.0.1" : shownHost}:${server.port}/?token=${guard.token}`,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      if (view.kind === "user") await view.user.stop();
      await server.stop(true);
    },
  };
}

async function bodyOf(request: Request): Promise<Record<string, unknown>> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > dashboardLimits.requestBodyBytesMax) throw new AppError(Code.InvalidArgument, "the form is too large");
  const raw = await boundedText(request);
  try {
    const body = JSON.parse(raw || "{}");
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // not JSON: answered below
  }
  throw new AppError(Code.InvalidArgument, "the form is not a JSON object");
}

/** The body as text, read no further than the bound: a chunked body gives no length to refuse it by beforehand. */
async function boundedText(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > dashboardLimits.requestBodyBytesMax) {
      await reader.cancel();
      throw new AppError(Code.InvalidArgument, "the form is too large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function httpStatusOf(code: Code): number {
  const statuses: Partial<Record<Code, number>> = {
    [Code.InvalidArgument]: 400,
    [Code.Unauthenticated]: 401,
    [Code.PermissionDenied]: 403,
    [Code.NotFound]: 404,
    [Code.AlreadyExists]: 409,
    [Code.FailedPrecondition]: 409,
    [Code.Aborted]: 409,
    [Code.ResourceExhausted]: 429,
    [Code.Unavailable]: 503,
    [Code.DeadlineExceeded]: 504,
  };
  return statuses[code] ?? 500;
}

function withoutBody(response: Response): Response {
  return new Response(null, { status: response.status, headers: response.headers });
}

function withAllow(response: Response): Response {
  response.headers.set("allow", "GET, HEAD, POST");
  return response;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...securityHeaders } });
}

function text(body: string, status: number): Response {
  return new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...securityHeaders } });
}
