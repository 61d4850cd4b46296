import { readFileSync } from "node:fs";
import path from "node:path";
import { UsageError } from "./usage-error.js";

/** What `serve --dev` created or found, as it writes it to credentials.json. */
export interface DevCredentials {
  workspace_id: string;
  machine_id: string;
  api_token: string;
  machine_token: string;
  /** The address the dev server serves on, for the client verbs' default `--server`. */
  server_url?: string;
}

/** Where client verbs look for the dev credentials: `serve --dev`'s default, relative to the current directory. */
export const devCredentialsFile = path.join("data", "credentials.json");

/** The dev server's address when credentials.json does not name one: `wsctl serve`'s default `--listen`. */
export const devServerUrl = "http://127.0.0.1:8080";

/**
 * The dev credentials in `<cwd>/data/credentials.json`, or undefined when the
 * file does not exist. A file that is there but unreadable or not the JSON
 * `serve --dev` writes is a UsageError naming it.
 */
export function readDevCredentials(cwd: string): (DevCredentials & { file: string }) | undefined {
  const file = path.join(cwd, devCredentialsFile);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const c = value as Partial<DevCredentials> | undefined;
  if (typeof c?.api_token !== "string" || typeof c.workspace_id !== "string") {
    throw new UsageError(`${file} is not the credentials file wsctl serve --dev writes (api_token, workspace_id): remove it or pass --token`);
  }
  return { ...(c as DevCredentials), file };
}
