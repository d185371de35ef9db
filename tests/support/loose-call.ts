// A unary call by method name with any client, request and reply type: for
// tests that send what no typed caller may (a field of the wrong type, a
// method of another service, a certificate the server refuses). Everything in
// src/ calls through the typed unaryCall of src/rpc/channel.ts.
import type * as grpc from "@grpc/grpc-js";
import { unaryCall as typedUnaryCall, type CallOptions } from "../../src/rpc/channel";

export function unaryCall<Req, Res>(client: grpc.Client, method: string, request: Req, options: CallOptions): Promise<Res> {
  return typedUnaryCall(client as never, method as never, request as never, options) as Promise<Res>;
}
