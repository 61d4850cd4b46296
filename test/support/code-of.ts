import { type Code, ConnectError } from "@connectrpc/connect";

/** How a call ended: "ok", or the Connect code it failed with (any error seen as `ConnectError.from` sees it). */
export async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}
