import { readFile } from "node:fs/promises";
import type { TlsCredentials } from "./listen-one-port.js";

/** Paths of the PEM files given on the command line. */
export interface TlsFilePaths {
  /** `--tls-cert`: the certificate chain, PEM. */
  certPath: string;
  /** `--tls-key`: the private key, PEM. */
  keyPath: string;
}

/**
 * Reads the certificate and key files for `listenOnePort({ tls })`. A file that
 * cannot be read rejects with an Error naming the flag (`--tls-cert` or
 * `--tls-key`), the path the user typed and why (for example ENOENT), so the
 * command line can print it as is.
 */
export async function readTlsFiles(paths: TlsFilePaths): Promise<TlsCredentials> {
  // One after the other, so when both fail the message is always the certificate's.
  const cert = await readPem("--tls-cert", paths.certPath);
  const key = await readPem("--tls-key", paths.keyPath);
  return { cert, key };
}

async function readPem(flag: string, path: string): Promise<Buffer> {
  let contents: Buffer;
  try {
    contents = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${flag} ${path}: cannot read the file (${describe(code)})`, { cause: error });
  }
  if (contents.length === 0) throw new Error(`${flag} ${path}: the file is empty`);
  if (!contents.includes("-----BEGIN ")) throw new Error(`${flag} ${path}: not a PEM file`);
  return contents;
}

function describe(code: string | undefined): string {
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return code ?? "unknown error";
  }
}
