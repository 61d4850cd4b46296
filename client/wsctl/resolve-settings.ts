import type { ParseArgsConfig } from "node:util";

/** The kinds of value a setting holds. */
export type SettingType = "string" | "integer" | "boolean" | "list" | "map";
type ValueOf<T extends SettingType> = T extends "integer"
  ? number
  : T extends "boolean"
    ? boolean
    : T extends "list"
      ? string[]
      : T extends "map"
        ? Record<string, string>
        : string;

/**
 * One setting of `serve` or `daemon`: its flag (`--<key>`), its key in the
 * config file's section (the same name), its environment variable, its
 * default and its check. A `map` is `ID=VALUE` on the command line (repeated)
 * and in the environment (comma-separated), an object in the file; a `list`
 * is repeated on the command line, comma-separated in the environment, an
 * array in the file.
 */
export interface SettingOf<T extends SettingType> {
  key: string;
  type: T;
  /** Environment variable. Default: none. */
  env?: string;
  default?: ValueOf<T>;
  /** Masked by --print-config: all of it (true), or what the function keeps. */
  secret?: boolean | ((value: ValueOf<T>) => unknown);
  /** Says what is wrong with a value (after its type was checked), or undefined. */
  check?: (value: ValueOf<T>) => string | undefined;
}

/** A setting of any type, told apart by `type`. */
export type Setting = { [T in SettingType]: SettingOf<T> }[SettingType];

export type Values = Record<string, string | number | boolean | string[] | Record<string, string> | undefined>;
/** Where each effective value came from. */
export type Source = "flag" | "env" | "file" | "default";

export interface Resolved {
  values: Values;
  sources: Record<string, Source>;
}

/** The `parseArgs` options of `settings` (all strings but booleans, so types are checked here). */
export function settingOptions(settings: readonly Setting[]): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const s of settings) {
    options[s.key] = s.type === "boolean" ? { type: "boolean" } : { type: "string", ...(s.type === "list" || s.type === "map" ? { multiple: true } : {}) };
  }
  return options;
}

/**
 * Resolves every setting, flags over environment over file over defaults,
 * checking each value where it came from. Throws one Error listing every
 * problem, each naming its key as the operator wrote it: `--listen`,
 * `WSCTL_LISTEN`, or `serve.listen` in the file (keys the section does not
 * know are problems too).
 */
export function resolveSettings(
  settings: readonly Setting[],
  inputs: { flags: Record<string, unknown>; env: NodeJS.ProcessEnv; file?: Record<string, unknown> | undefined; section: string },
): Resolved {
  const problems: string[] = [];
  const values: Values = {};
  const sources: Record<string, Source> = {};
  const known = new Set(settings.map((s) => s.key));
  for (const key of Object.keys(inputs.file ?? {})) {
    if (!known.has(key)) problems.push(`${inputs.section}.${key}: unknown setting (known: ${[...known].join(", ")})`);
  }
  for (const s of settings) {
    const flag = inputs.flags[s.key];
    const fromFlag = flag !== undefined && !(Array.isArray(flag) && flag.length === 0);
    const envText = s.env ? inputs.env[s.env] : undefined;
    const fileValue = inputs.file?.[s.key];
    const [raw, source, name]: [unknown, Source, string] = fromFlag
      ? [flag, "flag", `--${s.key}`]
      : envText !== undefined && envText !== ""
        ? [envText, "env", s.env!]
        : fileValue !== undefined && fileValue !== null
          ? [fileValue, "file", `${inputs.section}.${s.key}`]
          : [s.default, "default", s.key];
    if (raw === undefined) continue;
    try {
      const value = source === "default" ? raw : coerce(s.type, raw, source);
      const problem = (s.check as ((v: unknown) => string | undefined) | undefined)?.(value);
      if (problem) throw new Error(problem);
      values[s.key] = value as Values[string];
      sources[s.key] = source;
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { values, sources };
}

function coerce(type: SettingType, raw: unknown, source: Source): unknown {
  switch (type) {
    case "string":
      if (typeof raw !== "string" || raw === "") throw new Error(`must be a non-empty string, got ${JSON.stringify(raw)}`);
      return raw;
    case "integer": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`must be a whole number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (source === "env" && /^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (source === "env" && /^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new Error(`must be true or false, got ${JSON.stringify(raw)}`);
    case "list": {
      const items = typeof raw === "string" ? raw.split(",") : raw;
      if (!Array.isArray(items) || items.some((i) => typeof i !== "string")) throw new Error(`must be a list of strings, got ${JSON.stringify(raw)}`);
      return (items as string[]).map((i) => i.trim()).filter((i) => i !== "");
    }
    case "map": {
      if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
        const entries = Object.entries(raw as Record<string, unknown>);
        if (entries.some(([, v]) => typeof v !== "string" || v === "")) throw new Error("must map names to non-empty strings");
        return Object.fromEntries(entries);
      }
      const items = typeof raw === "string" ? raw.split(",") : Array.isArray(raw) ? (raw as unknown[]) : [raw];
      const out: Record<string, string> = {};
      for (const item of items) {
        const text = String(item).trim();
        const eq = text.indexOf("=");
        if (eq <= 0 || eq === text.length - 1) throw new Error(`must be NAME=VALUE, got "${text}"`);
        out[text.slice(0, eq)] = text.slice(eq + 1);
      }
      return out;
    }
  }
}

/** The effective configuration as a config file section, secrets masked. */
export function printableSettings(settings: readonly Setting[], resolved: Resolved): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of settings) {
    const v = resolved.values[s.key];
    if (v === undefined) continue;
    out[s.key] = typeof s.secret === "function" ? (s.secret as (value: unknown) => unknown)(v) : s.secret ? "***" : v;
  }
  return out;
}
