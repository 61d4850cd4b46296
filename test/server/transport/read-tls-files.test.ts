import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTlsFiles } from "../../../server/transport/read-tls-files.js";

const certPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const keyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "read-tls-files-"));
  await writeFile(join(dir, "cert.pem"), certPem);
  await writeFile(join(dir, "key.pem"), keyPem);
  await writeFile(join(dir, "empty.pem"), "");
  await writeFile(join(dir, "cert.der"), Buffer.from([0x30, 0x82, 0x01, 0x0a]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("readTlsFiles", () => {
  it("returns the PEM contents of both files", async () => {
    const { cert, key } = await readTlsFiles({ certPath: join(dir, "cert.pem"), keyPath: join(dir, "key.pem") });
    expect(cert.toString()).toBe(certPem);
    expect(key.toString()).toBe(keyPem);
  });

  it("names --tls-cert when the certificate file is missing", async () => {
    await expect(
      readTlsFiles({ certPath: join(dir, "missing.pem"), keyPath: join(dir, "key.pem") }),
    ).rejects.toThrow(/^--tls-cert .*missing\.pem: cannot read the file \(no such file\)$/);
  });

  it("names --tls-key when the key file cannot be read", async () => {
    await expect(readTlsFiles({ certPath: join(dir, "cert.pem"), keyPath: dir })).rejects.toThrow(
      /^--tls-key .*: cannot read the file \(is a directory\)$/,
    );
  });

  it("rejects empty and non-PEM files, naming the flag", async () => {
    await expect(readTlsFiles({ certPath: join(dir, "cert.der"), keyPath: join(dir, "key.pem") })).rejects.toThrow(
      /^--tls-cert .*cert\.der: not a PEM file$/,
    );
    await expect(readTlsFiles({ certPath: join(dir, "cert.pem"), keyPath: join(dir, "empty.pem") })).rejects.toThrow(
      /^--tls-key .*empty\.pem: the file is empty$/,
    );
  });
});
