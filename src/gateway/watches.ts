// The WatchPayments streams: each user is sent their payments as they are
// decided, for as long as the session that opened the stream stays open.
// Bounded: streams per user and in all, what one stream may have waiting to
// be sent (a client that stops reading), and a stream's life (a client that
// set no deadline). A decided payment reaches its payer's and payee's streams
// only, so one user's streams cost nothing to another's payments.
import { AppError, Code, toAppError } from "../lib/errors";
import { limits } from "../lib/limits";
import type { PaymentRow } from "../store/gateway-store";

/** One open stream, as the service sees it. */
export interface WatchStream {
  /** Writes a payment to the call (it waits in the call's buffer until the connection takes it). */
  send(row: PaymentRow): void;
  /** Messages written and not yet taken by the connection. */
  waiting(): number;
  /** Ends the call here at once, dropping what waits for the client: one that takes nothing could not take a status either (it sees its deadline). */
  cut(): void;
}

export interface WatchesOptions {
  /** Whether the session behind the stream (by its token's hash) is still open: not ended, not expired. */
  sessionOpen(tokenHash: string): Promise<boolean>;
}

export class PaymentWatches {
  private readonly byUser = new Map<string, Set<(row: PaymentRow) => void>>();
  private open = 0;

  constructor(private readonly options: WatchesOptions) {}

  /** A decided payment, to its payer's and payee's streams. */
  tell(row: PaymentRow): void {
    for (const listener of this.byUser.get(row.payer) ?? []) listener(row);
    if (row.payee !== row.payer) for (const listener of this.byUser.get(row.payee) ?? []) listener(row);
  }

  /**
   * Sends `username` their payments until `ended` (the client went), `stopped`
   * (the gateway stops) or the stream's life is over (it ends then, to be
   * opened again); throws when the session ends meanwhile or the client does
   * not take what is sent.
   */
  async watch(username: string, tokenHash: string, stream: WatchStream, ended: Promise<void>, stopped: Promise<void>): Promise<void> {
    this.admit(username);
    const listeners = this.byUser.get(username) ?? new Set();
    this.byUser.set(username, listeners);
    const stop = Promise.withResolvers<void>();
    /** Set once the stream is over: nothing is sent after (a write after its end would tear down what is still buffered, status and all). */
    let done = false;
    const end = (error?: AppError) => {
      done = true;
      if (error) stop.reject(error);
      else stop.resolve();
    };
    /** Whether the session is still open; the stream ends when it is not (or cannot be told). */
    const sessionStillOpen = async (): Promise<boolean> => {
      const isOpen = await this.options.sessionOpen(tokenHash).catch(() => {
        end(new AppError(Code.Unavailable, "the gateway could not check this stream's session; open it again"));
        return false;
      });
      if (!isOpen) end(new AppError(Code.Unauthenticated, "session was ended; log in again"));
      return isOpen && !done;
    };
    // Payments wait here for a check of the session, then go out in the order decided: one check covers every one queued before it ended.
    const queued: PaymentRow[] = [];
    let draining = false;
    const drain = async () => {
      draining = true;
      try {
        while (!done && queued.length > 0) {
          if (!(await sessionStillOpen())) return;
          for (const row of queued.splice(0)) stream.send(row);
        }
      } catch (error) {
        end(toAppError(error));
      } finally {
        draining = false;
      }
    };
    const listener = (row: PaymentRow) => {
      if (done) return;
      if (queued.length + stream.waiting() >= limits.watchMessagesWaitingMax) {
        // It takes none: cut, so what waits for it is freed now.
        done = true;
        stream.cut();
        stop.resolve();
        return;
      }
      queued.push(row);
      if (!draining) void drain();
    };
    listeners.add(listener);
    // A stream with nothing to send learns of its session's end too, and frees its place.
    const checks = setInterval(() => void sessionStillOpen(), limits.watchSessionCheckMs);
    const lifeOver = setTimeout(() => end(), limits.watchStreamLifeMsMax);
    try {
      await Promise.race([ended, stopped, stop.promise]);
    } finally {
      done = true;
      clearInterval(checks);
      clearTimeout(lifeOver);
      listeners.delete(listener);
      if (listeners.size === 0) this.byUser.delete(username);
      this.open -= 1;
    }
  }

  private admit(username: string): void {
    const mine = this.byUser.get(username)?.size ?? 0;
    if (mine >= limits.watchStreamsPerUserMax) throw new AppError(Code.ResourceExhausted, `${username} has ${mine} payment watches open already (at most ${limits.watchStreamsPerUserMax}); close one first`);
    if (this.open >= limits.watchStreamsMax) throw new AppError(Code.ResourceExhausted, "the gateway has as many payment watches open as it keeps; try again later");
    this.open += 1;
  }
}
