import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A request of Node's `http` server or of the `http2` compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest;

/** A response of Node's `http` server or of the `http2` compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse;

/**
 * A request handler for both HTTP versions: what `connectNodeAdapter` returns
 * and `listenOnePort` serves. Handlers that stand in front of others return a
 * boolean (`NodeHandler<boolean>`): true when they took the request, false,
 * having touched nothing, to pass it on.
 */
export type NodeHandler<Result = void> = (req: NodeRequest, res: NodeResponse) => Result;
