import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import { expect } from "vitest";
import { BadRequestSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { kPrincipal, type Principal } from "../../../server/auth/principal.js";
import { generateToken } from "../../../server/auth/api-token.js";
import type { SessionRecord, TokenScope } from "../../../server/store/store.js";
import type { InProcessApp } from "../../support/in-process-app.js";
import { session } from "../store/store-contract-fixtures.js";

/**
 * Shared fixtures of the services' tests. Most go through `createInProcessApp`
 * (workspace `ws`, machine `m1`, the real auth interceptor); these add a
 * second workspace, stored sessions, and a handler context for calling a
 * service implementation directly with a principal of the test's choosing.
 */

/** A Connect handler context whose principal is `principal`, as the auth interceptor sets it. */
export function handlerContext(service: DescService, method: DescMethod, principal: Principal | undefined): HandlerContext {
  const contextValues = createContextValues();
  if (principal !== undefined) contextValues.set(kPrincipal, principal);
  return createHandlerContext({ service, method, protocolName: "connect", requestMethod: "POST", url: "http://localhost/", contextValues });
}

/** The error a promise rejects with, expecting a ConnectError of `code`. */
export async function rejection(promise: Promise<unknown>, code: Code): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  expect(Code[(error as ConnectError).code]).toBe(Code[code]);
  return error as ConnectError;
}

/** The fields an `invalid_argument` rejection's `google.rpc.BadRequest` names. */
export async function violatedFields(promise: Promise<unknown>): Promise<string[]> {
  const error = await rejection(promise, Code.InvalidArgument);
  return error.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

/** Reads a stream to its end, or to the error that ends it. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<{ values: T[]; error: ConnectError | undefined }> {
  const values: T[] = [];
  try {
    for await (const value of stream) values.push(value);
    return { values, error: undefined };
  } catch (error) {
    return { values, error: ConnectError.from(error) };
  }
}

/** Adds workspace `ws-2` with its machine `m-2`, which the app's API token does not cover. */
export async function addOtherWorkspace(env: InProcessApp): Promise<void> {
  await env.store.createWorkspace("ws-2", 1);
  await env.store.createMachine({ machineId: "m-2", workspaceId: "ws-2", makeDefault: true, now: 1 });
}

/** Stores a session of the app's workspace on `m1` (unless told otherwise). */
export async function appSession(env: InProcessApp, init: Partial<SessionRecord> & { sessionId: string }): Promise<SessionRecord> {
  const record = session({ workspaceId: env.workspaceId, machineId: env.machineId, ...init });
  await env.store.createSession(record);
  return record;
}

/** An API token with `scopes` on `workspaceIds` (default the app's workspace), stored directly: its plain token. */
export async function scopedToken(env: InProcessApp, scopes: TokenScope[], workspaceIds: string[] = [env.workspaceId]): Promise<string> {
  const t = generateToken("api");
  await env.store.createToken({ tokenId: t.tokenId, kind: "api", hashHex: t.hashHex, workspaceIds, machineId: undefined, scopes, now: 1 });
  return t.token;
}
