// Writes the OpenAPI document the server serves at /openapi.json to the file
// named by its argument, for `npm run check:openapi` (Redocly's recommended
// rules lint it there). The services are those the server binds
// (`serviceFiles`), so a new RPC with a REST binding is documented and linted
// without a change here.
//
//   tsx build/write-openapi.ts test-results/openapi.json
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { serviceFiles } from "../server/create-service-bindings.js";
import { createApiDocument } from "../server/openapi/create-api-document.js";

const out = process.argv[2];
if (out === undefined) throw new Error("usage: tsx build/write-openapi.ts FILE");
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(createApiDocument(serviceFiles.flatMap((file) => file.services)), null, 2)}\n`);
console.log(`write-openapi: ${out}`);
