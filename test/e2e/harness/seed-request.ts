import { readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./spawn-wsctl.js";

/** The request body of the seed's curl example, exactly as the API page shows it. */
export const seedRequestText = readFileSync(path.join(repoRoot, "test/fixtures/seed-request.json"), "utf8");

/**
 * The seed's request with its `<string>` placeholders filled in: every field is
 * kept, nullable ones become null unless `values` gives them a value
 * (`default_provider` and `language` get real values, since `<string>` is not one).
 */
export function seedRequest(values: Record<string, string | null> = {}): Record<string, unknown> {
  const fill: Record<string, string | null> = {
    machine_id: null,
    user_session_id: null,
    initial_prompt: null,
    worktree_name: null,
    default_provider: "claude_code",
    language: "en-US",
    resume_session_id: null,
    agent_session_id: null,
    ...values,
  };
  return JSON.parse(seedRequestText, (key, value: unknown) => {
    if (value === "<string>") return key in fill ? fill[key] : null;
    return value;
  }) as Record<string, unknown>;
}
