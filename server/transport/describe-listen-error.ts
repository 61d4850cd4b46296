/**
 * Why a port could not be bound, for "cannot listen on HOST:PORT: …": the
 * errno said in words, with the code in parentheses.
 */
export function describeListenError(error: unknown): string {
  const e = (error instanceof Error && error.cause instanceof Error ? error.cause : error) as NodeJS.ErrnoException;
  switch (e?.code) {
    case "EADDRINUSE":
      return "the address is already in use (EADDRINUSE): another process listens there";
    case "EACCES":
      return "permission denied (EACCES): ports below 1024 need privileges";
    case "EADDRNOTAVAIL":
      return "the address is not one of this machine's (EADDRNOTAVAIL)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name does not resolve (${e.code})`;
    default:
      return e?.code ?? (e instanceof Error ? e.message : String(error));
  }
}
