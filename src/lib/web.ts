// What the two web servers (the dashboard, /metrics) share about a request.

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
