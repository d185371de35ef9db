// One JSON line per call on every server: who called what, with which
// request id, key, amount and transaction, how it ended and how long it took.
// Redaction of secrets is enforced by the logger itself (src/lib/log.ts).
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../lib/log";
import { attemptOf, getText, internal, requestIdOf, stripInternal, wire } from "../metadata";
import { peerIdentity } from "../peer";
import { splitPath } from "../protos";
import { codeName } from "../status";
import type * as messages from "../wire/messages";
import type { GrpcServerMetrics } from "./metrics";

/**
 * Any request, as the fields a log line reads from it (each message has some
 * of them): named by the generated types, so a field renamed in a .proto fails
 * the type check here too.
 */
export type LoggedRequest = Partial<
  messages.PayRequestReceived & messages.RefundRequestReceived & messages.LoginRequestReceived & messages.PrepareRequestReceived & messages.DecisionRequestReceived & messages.ExchangeRequestReceived & messages.GetDecisionRequestReceived
>;
/** Any reply, as the fields a log line reads: a payment, or a reply carrying one. */
export type LoggedReply = Partial<messages.PayResponseReceived> & Partial<messages.PaymentReceived>;

/** With `metrics` (--metrics), the same wrapper also records the grpc_server_* series. */
export function serverLoggingInterceptor(log: Logger, metrics?: GrpcServerMetrics): grpc.ServerInterceptor {
  return function logging(methodDescriptor, call) {
    const startedAtMs = performance.now();
    const observed = metrics?.begin(methodDescriptor);
    // Kept by reference; the line is built only if its level is on (most OK
    // calls at the default level are not logged, and every call pays for this layer).
    let metadataSeen: grpc.Metadata | undefined;
    let request: unknown;
    let response: unknown;
    let ended = false;
    /** Once per call: by its status, or when the caller stopped waiting (then no status is sent, and the handler's later one is not this call's end). */
    const end = (code: grpc.status, details: string | undefined) => {
      if (ended) return;
      ended = true;
      observed?.end(code);
      // A health check that succeeds is routine (the gateway asks each bank every second): debug, not info.
      const okLevel = methodDescriptor.path.startsWith("/grpc.health.v1.Health/") ? "debug" : "info";
      // A caller that went away (a watch closed, a client that gave up) is routine too.
      const level = code === grpc.status.OK ? okLevel : code === grpc.status.CANCELLED ? "info" : code === grpc.status.INTERNAL || code === grpc.status.UNKNOWN ? "error" : "warn";
      if (!log.isLevelEnabled(level)) return;
      const { service, method } = splitPath(methodDescriptor.path);
      const fields: Record<string, unknown> = { event: "rpc.served", service, method, peer: call.getPeer() };
      if (metadataSeen) {
        fields.request_id = getText(metadataSeen, wire.requestId);
        fields.attempt = attemptOf(metadataSeen);
      }
      Object.assign(fields, requestFields(request), responseFields(response));
      // Read from the certificate itself, so a refused caller is named too.
      fields.cert = certificateOf(call);
      fields.user = metadataSeen ? getText(metadataSeen, internal.user) : undefined;
      fields.code = codeName(code);
      fields.duration_ms = Math.round((performance.now() - startedAtMs) * 1000) / 1000;
      if (code !== grpc.status.OK) fields.error = details;
      log[level](fields, `${service}.${method}`);
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onCancel() {
            // Its deadline passed, or the caller cancelled (gave up, or went away).
            const deadline = call.getDeadline();
            const deadlinePassed = deadline instanceof Date ? deadline.getTime() <= Date.now() : Number.isFinite(deadline) && deadline <= Date.now();
            end(deadlinePassed ? grpc.status.DEADLINE_EXCEEDED : grpc.status.CANCELLED, deadlinePassed ? "the call's deadline passed before it was answered" : "the caller stopped waiting");
          },
          onReceiveMetadata(metadata, nextMetadata) {
            stripInternal(metadata);
            metadata.set(wire.requestId, requestIdOf(metadata));
            metadataSeen = metadata;
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            request = message;
            nextMessage(message);
          },
        });
      },
      sendMessage(message, next) {
        response = message;
        next(message);
      },
      sendStatus(status, next) {
        end(status.code ?? grpc.status.UNKNOWN, status.details);
        next(status);
      },
    });
  };
}

function certificateOf(call: grpc.ServerInterceptingCallInterface): string | undefined {
  const identity = peerIdentity(call);
  return identity ? `${identity.role}:${identity.name}` : undefined;
}

/** The fields of a request worth a log line; never the password or the token. */
function requestFields(received: unknown): Record<string, unknown> {
  if (!received || typeof received !== "object") return {};
  const message = received as LoggedRequest;
  const out: Record<string, unknown> = {};
  if (message.idempotency_key) out.idempotency_key = message.idempotency_key;
  if (message.amount_minor && message.amount_minor !== "0") out.amount_minor = String(message.amount_minor);
  if (message.username) out.username = message.username;
  if (message.to_username) out.to = message.to_username;
  // Batches: Prepare items, Commit/Abort txs, or an Exchange carrying all three.
  const prepares: messages.PrepareItemReceived[] = Array.isArray(message.items) ? message.items : Array.isArray(message.prepare) ? message.prepare : [];
  const decisions: messages.TxRefReceived[] = [message.txs, message.commit, message.abort].flatMap((list) => (Array.isArray(list) ? list : []));
  const batch = [...prepares, ...decisions];
  if (batch.length > 0) {
    out.batch = batch.length;
    out.txids = batch.map((tx) => tx.txid);
    out.request_ids = batch.map((tx) => tx.request_id);
    if (prepares.length > 0) out.amounts_minor = prepares.map((item) => item.legs?.[0]?.delta_minor);
  }
  if (Array.isArray(message.commit)) {
    out.prepares = prepares.length;
    out.commits = message.commit.length;
    out.aborts = Array.isArray(message.abort) ? message.abort.length : 0;
  }
  if (Array.isArray(message.txids)) out.txids = message.txids;
  return out;
}

function responseFields(received: unknown): Record<string, unknown> {
  if (!received || typeof received !== "object") return {};
  const message = received as LoggedReply;
  const payment = message.payment ?? (message.status && message.id ? message : undefined);
  if (!payment) return {};
  return {
    txid: payment.id,
    payment_status: payment.status,
    failure_code: payment.failure_code || undefined,
    replayed: message.replayed || undefined,
    // A string, as in request lines: the wire message may hold a number.
    amount_minor: payment.amount_minor === undefined ? undefined : String(payment.amount_minor),
  };
}
