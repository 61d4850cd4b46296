import { readFile } from "node:fs/promises";

/**
 * Reads a `--config` file: JSON, or YAML when it ends in `.yaml` or `.yml`
 * (through the `yaml` package, loaded only then). Its top level holds one
 * section per command (`serve:`, `daemon:`); resolves with the object of
 * `section` (empty when the file has none). Errors name the file and what is
 * wrong: unreadable, not parseable, not an object, an unknown section.
 */
export async function readConfigFile(file: string, section: string, sections: readonly string[] = ["serve", "daemon"]): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`config ${file}: cannot read it (${code === "ENOENT" ? "no such file" : (code ?? (error as Error).message)})`);
  }
  let parsed: unknown;
  try {
    if (/\.ya?ml$/i.test(file)) {
      const { parse } = await import("yaml");
      parsed = parse(text);
    } else {
      parsed = JSON.parse(text);
    }
  } catch (error) {
    throw new Error(`config ${file}: not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`config ${file}: the top level must be an object with sections ${sections.join(", ")}`);
  for (const key of Object.keys(parsed)) {
    if (!sections.includes(key)) throw new Error(`config ${file}: ${key}: unknown section (known: ${sections.join(", ")})`);
  }
  const own = (parsed as Record<string, unknown>)[section];
  if (own === undefined || own === null) return {};
  if (typeof own !== "object" || Array.isArray(own)) throw new Error(`config ${file}: ${section}: must be an object of settings`);
  return own as Record<string, unknown>;
}
