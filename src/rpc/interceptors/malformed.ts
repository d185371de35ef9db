// A request whose bytes are not a valid message of its type is the caller's
// fault: INVALID_ARGUMENT, not the INTERNAL grpc-js would answer. The server
// (src/rpc/server.ts) makes every request deserializer return `malformed`
// instead of throwing, and this interceptor, innermost in every chain, ends
// such a call before any handler sees it.
import * as grpc from "@grpc/grpc-js";
import { invalid } from "../../lib/errors";
import { refuse } from "./chain";

export const malformed: unique symbol = Symbol("malformed request");
export type Malformed = { [malformed]: true };
const malformedRequest: Malformed = Object.freeze({ [malformed]: true as const });

function isMalformed(message: unknown): boolean {
  return message === malformedRequest;
}

/** Wraps a deserializer so that bad bytes become a marker instead of an exception. */
export function tolerant<T>(deserialize: (bytes: Buffer) => T): (bytes: Buffer) => T | Malformed {
  return function deserializeOrMark(bytes) {
    try {
      return deserialize(bytes);
    } catch {
      return malformedRequest;
    }
  };
}

export function malformedRequestInterceptor(): grpc.ServerInterceptor {
  return function malformedRequestCheck(methodDescriptor, call) {
    let refused = false;
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMessage(message, nextMessage) {
            if (!isMalformed(message)) {
              nextMessage(message);
              return;
            }
            refused = true;
            refuse(call, invalid("request", `not a valid ${methodDescriptor.path.split("/")[2]} request message`));
          },
          onReceiveHalfClose(nextHalfClose) {
            // The handler never got the message; it must not answer a second time.
            if (!refused) nextHalfClose();
          },
        });
      },
    });
  };
}
