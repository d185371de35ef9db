// What servers share about listening, and the two web servers (the
// dashboard, /metrics) about serving: one Bun.serve set up alike.
import { AppError, Code } from "./errors";

/** Why a listen failed, in the user's words; the library's text stays the cause. */
export function listenError(host: string, port: number, error: Error): AppError {
  const text = `${(error as NodeJS.ErrnoException).code ?? ""} ${error.message}`;
  if (/EADDRINUSE/.test(text)) return new AppError(Code.Unavailable, `port ${port} on ${host} is already in use`, error);
  if (/EACCES|EPERM/.test(text)) return new AppError(Code.PermissionDenied, `no permission to listen on port ${port} on ${host}`, error);
  if (/EADDRNOTAVAIL|ENOTFOUND|EAI_/.test(text)) return new AppError(Code.InvalidArgument, `--host: ${host} is not an address of this machine`, error);
  return new AppError(Code.Unavailable, `cannot listen on ${host}:${port}`, error);
}

/**
 * The request's URL, or undefined when there is none: Bun builds request.url
 * from the Host header, and a Host such as "127.0.0.1:80@evil" makes no URL
 * (a 400 for the caller, not an exception and a 500).
 */
export function requestUrl(request: Request): URL | undefined {
  try {
    return new URL(request.url);
  } catch {
    return undefined;
  }
}

export interface WebServerOptions {
  host: string;
  port: number;
  idleTimeoutS?: number;
  /** A plain-text answer with this server's own headers. */
  plain(text: string, status: number): Response;
  fetch(request: Request, url: URL): Response | Promise<Response>;
}

/** Bun.serve on host:port, or why not in the user's words (listenError): a port in use is exit 4, a host not of this machine exit 2. */
export function serveWeb(options: WebServerOptions): ReturnType<typeof Bun.serve> {
  try {
    return Bun.serve({
      hostname: options.host,
      port: options.port,
      idleTimeout: options.idleTimeoutS,
      // Never Bun's development error page (code positions, the binary's path).
      development: false,
      // Said outright: with development off, Bun 1.4 otherwise shares the port with another listener on it
      // (SO_REUSEPORT), and a second server would take half of the first one's requests.
      reusePort: false,
      error: () => options.plain("internal error", 500),
      fetch(request) {
        const url = requestUrl(request);
        return url ? options.fetch(request, url) : options.plain("bad request: the Host header names no host", 400);
      },
    });
  } catch (error) {
    throw listenError(options.host, options.port, error as Error);
  }
}
