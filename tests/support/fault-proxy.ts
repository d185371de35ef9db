// A TCP proxy a test puts between two parts (the gateway and a bank, a client
// and the gateway) to make the network misbehave without touching the
// product. TLS passes through untouched, so every fault is one a real network
// or middlebox can cause:
//   delay      every chunk waits (delayMs both ways, towardServerDelayMs one way)
//   hold       a partition that holds the bytes and delivers them late, in order (as TCP does)
//   lose       bytes silently lost both ways, nothing closed; the connections open meanwhile stay
//              dead after heal() (a middlebox that lost its flow table, a peer host gone): only
//              new connections pass again
//   cut        every connection reset, new ones refused (a partition that resets)
//   vanish     as lose, and the server's side of each connection is never closed, whatever the
//              client's side does (the client's host gone: no FIN, no reset reaches the server)
//   dropReplies  every byte from the server lost: requests arrive, replies do not
//   blackhole / dropNextRequest  a request from the client dropped and its connection cut
// heal() ends hold, lose, cut and dropReplies; what was held is then delivered.
import { connect, createServer, type Server, type Socket } from "node:net";

type Mode = "pass" | "hold" | "lose" | "cut" | "replies-dropped" | "vanished";

export class FaultProxy {
  private mode: Mode = "pass";
  private readonly sockets = new Set<Socket>();
  /** Connections open during lose(): their bytes are lost for good, and nothing tells either end. */
  private readonly forgotten = new WeakSet<Socket>();
  /** Resolved (and replaced) on every heal: held chunks wait for it. */
  private healed = Promise.withResolvers<void>();
  /** Delay of every chunk, both ways, in milliseconds. */
  delayMs = 0;
  /** Extra delay of each chunk from client to server, in milliseconds. */
  towardServerDelayMs = 0;
  /** While true, every chunk the client sends is dropped and its connection cut: the server is unreachable. */
  blackhole = false;
  /** Drops data and cuts the connection when the client next sends a chunk of at least this many bytes. */
  private dropAtBytesMin: number | undefined;
  /** Requests dropped by blackhole or dropNextRequest. */
  dropped = 0;
  /** Bytes lost by lose() and dropReplies(). */
  bytesLost = 0;
  /** Connections accepted so far, for tests that want to know a client arrived. */
  connectionsAccepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    /** HOST:PORT the proxy forwards to; may be changed (or set late) between connections. */
    public target: string | undefined,
  ) {}

  static async start(target?: string): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((client) => proxy!.accept(client));
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    proxy = new FaultProxy(server, port, target);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The next client->server chunk of at least `bytesMin` bytes (a request's headers, not a bare HTTP/2 ping or window update) is dropped. */
  dropNextRequest(bytesMin = 40): void {
    this.dropAtBytesMin = bytesMin;
  }

  /** Holds every byte, both ways, until heal() delivers them late and in order. */
  hold(): void {
    this.mode = "hold";
  }

  /** Loses every byte, both ways, without closing anything; connections open meanwhile are never healed. */
  lose(): void {
    this.mode = "lose";
    for (const socket of this.sockets) this.forgotten.add(socket);
  }

  /**
   * The clients' hosts are gone: every byte is lost, both ways, and the
   * server's side of each connection stays open whatever the client's side
   * does (no FIN and no reset ever reach the server).
   */
  vanish(): void {
    this.lose();
    this.mode = "vanished";
  }

  /** From now on every byte from the server is lost: replies are lost, requests still arrive. */
  dropReplies(): void {
    this.mode = "replies-dropped";
  }

  /** Resets every connection and refuses new ones until heal(). */
  cut(): void {
    this.mode = "cut";
    for (const socket of this.sockets) reset(socket);
    this.sockets.clear();
  }

  /** Back to passing bytes; held bytes are delivered now. */
  heal(): void {
    this.mode = "pass";
    this.healed.resolve();
    this.healed = Promise.withResolvers<void>();
  }

  async stop(): Promise<void> {
    this.cut();
    this.heal();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.connectionsAccepted++;
    if (this.mode === "cut" || !this.target) return void reset(client);
    const [host, port] = this.target.split(":");
    const upstream = connect(Number(port), host!);
    this.sockets.add(client).add(upstream);
    if (this.mode === "lose") this.forgotten.add(client).add(upstream);
    this.forward(client, upstream, true, () => close());
    this.forward(upstream, client, false, () => close());
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    // A vanished client's closing never reaches the server.
    const clientClosed = () => (this.mode === "vanished" ? void client.destroy() : close());
    client.on("close", clientClosed).on("error", clientClosed);
    upstream.on("close", close).on("error", close);
  }

  private forward(from: Socket, to: Socket, towardServer: boolean, close: () => void): void {
    // Bytes leave in the order they came, even when a delay changes or a hold
    // ends while some wait: a TLS stream whose records are reordered is corrupt.
    let queue = Promise.resolve();
    from.on("data", (chunk: Buffer) => {
      if (towardServer && this.dropsRequest(chunk)) return close();
      if (this.mode === "lose" || this.mode === "vanished" || this.forgotten.has(from) || (this.mode === "replies-dropped" && !towardServer)) {
        this.bytesLost += chunk.length;
        return;
      }
      const dueAtMs = Date.now() + this.delayMs + (towardServer ? this.towardServerDelayMs : 0);
      queue = queue.then(async () => {
        if (dueAtMs > Date.now()) await Bun.sleep(dueAtMs - Date.now());
        while (this.mode === "hold") await this.healed.promise;
        if (!to.destroyed) to.write(chunk);
      });
    });
  }

  private dropsRequest(chunk: Buffer): boolean {
    const dropOnce = this.dropAtBytesMin !== undefined && chunk.length >= this.dropAtBytesMin;
    if (!this.blackhole && !dropOnce) return false;
    this.dropAtBytesMin = undefined;
    this.dropped += 1;
    return true;
  }
}

/** Closes with a TCP RST where the runtime can, as a middlebox resetting the connection does. */
function reset(socket: Socket): void {
  const withReset = socket as Socket & { resetAndDestroy?: () => void };
  if (typeof withReset.resetAndDestroy === "function" && !socket.destroyed) {
    try {
      withReset.resetAndDestroy();
      return;
    } catch {
      // not connected yet or not supported here: a plain close does
    }
  }
  socket.destroy();
}
