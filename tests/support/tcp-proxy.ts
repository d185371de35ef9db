// A TCP proxy between the gateway and a bank, to make the network misbehave
// without touching the product: delay every chunk, or drop the next request
// the gateway sends (the connection is cut, so that message never arrives).
import { createServer, connect, type Server, type Socket } from "node:net";

export class TcpProxy {
  delayMs = 0;
  /** Drops data and cuts the connection when the gateway next sends a chunk of at least this many bytes. */
  private dropAtBytesMin: number | undefined;
  dropped = 0;
  /** While true, every request the gateway sends is dropped and its connection cut: the bank is unreachable from the gateway. */
  blackhole = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.pipe(client));
  }

  static async start(targetAddress: string): Promise<TcpProxy> {
    const [host, port] = targetAddress.split(":");
    const proxy = new TcpProxy({ host: host!, port: Number(port) });
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /**
   * The next gateway->bank chunk of at least `bytesMin` bytes (a request's
   * headers, not a bare HTTP/2 ping or window update) is dropped.
   */
  dropNextRequest(bytesMin = 40): void {
    this.dropAtBytesMin = bytesMin;
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    const forward = (from: Socket, to: Socket, fromGateway: boolean) => {
      // Bytes leave in the order they came, even when delayMs changes while
      // some wait: a TLS stream whose records are reordered is corrupt.
      let queue = Promise.resolve();
      from.on("data", (chunk: Buffer) => {
        const dropOnce = this.dropAtBytesMin !== undefined && chunk.length >= this.dropAtBytesMin;
        if (fromGateway && (this.blackhole || dropOnce)) {
          this.dropAtBytesMin = undefined;
          this.dropped += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        const dueMs = Date.now() + this.delayMs;
        queue = queue.then(async () => {
          if (dueMs > Date.now()) await Bun.sleep(dueMs - Date.now());
          if (!to.destroyed) to.write(chunk);
        });
      });
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
