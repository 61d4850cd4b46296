import type { DescService } from "@bufbuild/protobuf";
import { createOpenApiDocument } from "./create-openapi-document.js";
import type { Schema } from "./create-schema-builder.js";

const description =
  "Launch coding-agent sessions (Claude Code, Codex) on your machines and follow them. The same API is served " +
  "over gRPC, gRPC-Web, Connect and this REST/JSON binding; REST responses use proto field names. Every call takes " +
  "an API token (`Authorization: Bearer wsa_…`) and sees only the token's workspaces. Errors are JSON with " +
  "`code`, `message`, `details` and `detail` (see the Error schema); `invalid_argument` carries a " +
  "google.rpc.BadRequest naming each bad field.";

/**
 * The OpenAPI document `/openapi.json` serves for `services` (the app's
 * bindings): titled, versioned and described for the API as a whole; what
 * `npm run check:openapi` lints (build/write-openapi.ts).
 */
export function createApiDocument(services: readonly DescService[]): Schema {
  return createOpenApiDocument({ services, title: "workspace-sessions", version: "v1", description });
}
