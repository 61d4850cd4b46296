import type { CliIo } from "./cli-output.js";
import { readConfigFile } from "./read-config-file.js";
import { printableSettings, type Resolved, resolveSettings, type Setting } from "./resolve-settings.js";

/**
 * The effective settings of `serve` or `daemon`: the `--config` file (or
 * `WSCTL_CONFIG`) read and its section checked, then flags over environment
 * over file over defaults. With `--print-config`, prints the result as a
 * config file would hold it (secrets masked) and resolves undefined: the
 * command exits 0. Throws an Error naming each bad key.
 */
export async function loadCommandConfig(
  section: "serve" | "daemon",
  settings: readonly Setting[],
  flags: Record<string, unknown>,
  io: CliIo,
): Promise<Resolved | undefined> {
  const file = (flags.config as string | undefined) ?? (io.env.WSCTL_CONFIG || undefined);
  const fromFile = file ? await readConfigFile(file, section) : undefined;
  const resolved = resolveSettings(settings, { flags, env: io.env, file: fromFile, section });
  if (flags["print-config"]) {
    io.stdout(`${JSON.stringify({ [section]: printableSettings(settings, resolved) }, null, 2)}\n`);
    return undefined;
  }
  return resolved;
}
