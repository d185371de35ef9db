// The wire's messages, generated from proto/ (generate.ts). For each message
// `X` is what may be sent (every field optional, int64 as a number or a
// string) and `XReceived` what arrives (every field present with its default,
// int64 and enums as strings), as src/rpc/wire/loader-options.ts decodes it.
// `Whole<X>` is X with every field named, nested messages too: what a server
// answers, so a field renamed in a .proto fails the type check where the
// reply is made. Roles convert these to their domain types (bigint money,
// camelCase) in one place each; nothing else declares a wire shape.
import type { Long } from "@grpc/proto-loader";

export type * from "./generated/index";

type WholeValue<V> = V extends string | number | boolean | Buffer | Long ? V : V extends (infer E)[] ? WholeValue<E>[] : V extends object ? Whole<V> : V;
export type Whole<T> = { [K in keyof T]-?: WholeValue<T[K]> };
