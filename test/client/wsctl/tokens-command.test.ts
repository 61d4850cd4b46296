import { afterEach, describe, expect, it } from "vitest";
import { runTokens } from "../../../client/wsctl/tokens-command.js";
import { scopedToken } from "../../server/services/service-fixtures.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";

let env: ListeningApp;
afterEach(async () => {
  await env?.close();
});

async function tokens(args: string[], token: string) {
  let stdout = "";
  let stderr = "";
  const code = await runTokens(args, {
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    env: { WSCTL_SERVER: env.url, WSCTL_TOKEN: token },
    isTTY: false,
  });
  return { code, stdout, stderr };
}

describe("runTokens", () => {
  it("creates a token (alone on the last line), lists it without its secret, and revokes it", async () => {
    env = await createListeningApp();
    const admin = await scopedToken(env, ["admin"]);
    const created = await tokens(["create", "--workspace", "ws", "--scope", "machines:register", "--label", "laptop"], admin);
    expect(created.code).toBe(0);
    const token = created.stdout.trimEnd().split("\n").at(-1)!;
    expect(token).toMatch(/^wsa_/);
    const tokenId = /created API token (tok_\w+) \(scopes: machines:register\)/.exec(created.stdout)?.[1];
    const listed = await tokens(["list", "--workspace", "ws"], admin);
    expect(listed.stdout).toMatch(new RegExp(`${tokenId}\\s+machines:register\\s+\\S+\\s+live\\s+laptop`));
    expect(listed.stdout).not.toContain("wsa_");
    expect(await tokens(["revoke", "--workspace", "ws", tokenId!], admin)).toMatchObject({ code: 0, stdout: `revoked token ${tokenId}\n` });
    const json = JSON.parse((await tokens(["list", "--workspace", "ws", "--json"], admin)).stdout);
    expect(json.api_tokens.find((t: { token_id: string }) => t.token_id === tokenId).revoke_time).toEqual(expect.any(String));
  });

  it("fails with the server's code for a token without the admin scope, and exits 2 on usage errors", async () => {
    env = await createListeningApp();
    const denied = await tokens(["list", "--workspace", "ws"], env.apiToken);
    expect(denied).toMatchObject({ code: 1 });
    expect(denied.stderr).toMatch(/^wsctl tokens: permission_denied: .*admin scope/);
    expect((await tokens(["list"], env.apiToken)).code).toBe(2);
    expect((await tokens(["frob", "--workspace", "ws"], env.apiToken)).code).toBe(2);
    expect((await tokens(["revoke", "--workspace", "ws"], env.apiToken)).code).toBe(2);
  });
});
