export { type CallOptions, type Direction, LokiClient, type LokiClientOptions, type PushStream } from "./client.ts";
export { LokiError, type LokiErrorKind } from "./errors.ts";
export type * from "./schemas.ts";
export { type TailHandle, type TailMessage, type TailOptions, tail } from "./tail.ts";
export * from "./time.ts";
