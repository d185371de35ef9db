// A TCP proxy a test controls, to lose a response on its way back: it can
// delay bytes towards the server (a slow bank link), drop every byte coming
// back from the server (the reply is lost), and cut every connection and
// refuse new ones (the gateway is gone). TLS passes through untouched.
import { connect, createServer, type Server, type Socket } from "node:net";

type Mode = "pass" | "replies-dropped" | "cut";

export class CutProxy {
  private mode: Mode = "pass";
  private readonly sockets = new Set<Socket>();
  /** Delay of each chunk from client to server, in milliseconds (0: none). */
  towardServerDelayMs = 0;
  /** Connections accepted so far, for tests that want to know a client arrived. */
  connectionsAccepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public target: string | undefined,
  ) {}

  static async start(target?: string): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((client) => proxy!.accept(client));
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    proxy = new CutProxy(server, port, target);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** From now on every byte from the server is dropped: replies are lost, requests still arrive. */
  dropReplies(): void {
    this.mode = "replies-dropped";
  }

  /** Closes every connection and refuses new ones until restore(). */
  cut(): void {
    this.mode = "cut";
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.mode = "pass";
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.connectionsAccepted++;
    if (this.mode === "cut" || !this.target) {
      client.destroy();
      return;
    }
    const [host, port] = this.target.split(":");
    const upstream = connect(Number(port), host!);
    this.sockets.add(client);
    this.sockets.add(upstream);
    let towardServerAtMs = 0;
    client.on("data", (chunk) => {
      if (this.towardServerDelayMs === 0) return void upstream.write(chunk);
      // Keep the order: each chunk leaves no earlier than the one before it.
      towardServerAtMs = Math.max(Date.now() + this.towardServerDelayMs, towardServerAtMs);
      setTimeout(() => upstream.writable && upstream.write(chunk), towardServerAtMs - Date.now());
    });
    upstream.on("data", (chunk) => {
      if (this.mode === "pass") client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  }
}
