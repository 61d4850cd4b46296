/**
 * Why the store named by `database` could not be opened, in words an operator
 * can act on, from the error `openStore` threw and the errors it wraps (`cause`):
 *
 * - not a SQLite file: "… is not a SQLite database (or is encrypted or corrupt)"
 * - better-sqlite3's native binding missing or built for another Node.js:
 *   "… run `npm rebuild better-sqlite3`"
 * - permission denied or a read-only file system: "permission denied on …"
 * - a file SQLite cannot open: "cannot open …: does its directory exist and is it writable?"
 * - otherwise: the store's own message, with its innermost cause in parentheses.
 */
export function describeOpenError(error: unknown, database: string): string {
  const chain = causes(error);
  const codes = new Set(chain.map((e) => String((e as { code?: unknown }).code ?? "")));
  const text = chain.map((e) => e.message).join("\n");
  const where = database === ":memory:" ? "the in-memory database" : database;
  if (codes.has("SQLITE_NOTADB")) return `${where} is not a SQLite database (or it is encrypted or corrupt)`;
  if (/Could not locate the bindings file|NODE_MODULE_VERSION|better_sqlite3\.node/.test(text) || codes.has("ERR_DLOPEN_FAILED")) {
    const first = text.split("\n").find((line) => line.trim() !== "") ?? "";
    return `the SQLite native binding (better-sqlite3) is missing or was built for another Node.js ${process.version}: run \`npm rebuild better-sqlite3\` (${first.trim().slice(0, 160)})`;
  }
  const denied = chain.find((e) => ["EACCES", "EPERM", "EROFS"].includes(String((e as { code?: unknown }).code)));
  if (denied) {
    const on = (denied as { path?: unknown }).path;
    return `permission denied on ${typeof on === "string" ? on : where} (${(denied as { code?: string }).code}): the server's user must be able to write the file and its directory`;
  }
  if (codes.has("SQLITE_READONLY")) return `permission denied on ${where}: the file is read-only`;
  if (codes.has("SQLITE_CANTOPEN")) return `cannot open ${where}: does its directory exist and may the server's user write there?`;
  const outer = chain[0];
  if (outer === undefined) return String(error);
  const outerText = (outer as { rawMessage?: string }).rawMessage ?? outer.message;
  const inner = chain.length > 1 ? chain.at(-1)!.message : undefined;
  // The SQLite adapter's catch-all says nothing the cause does not.
  if (inner !== undefined && outerText.startsWith("database error")) return inner;
  return inner !== undefined && inner !== outerText ? `${outerText} (${inner})` : outerText;
}

function causes(error: unknown): Error[] {
  const out: Error[] = [];
  let e: unknown = error;
  while (e instanceof Error && !out.includes(e)) {
    out.push(e);
    e = e.cause;
  }
  return out;
}
