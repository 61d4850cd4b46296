import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** What a process holds at one moment, read from /proc. */
export interface ProcessUsage {
  /** Resident set size (VmRSS), in bytes. */
  rssBytes: number;
  /** Open file descriptors (entries of /proc/<pid>/fd). */
  fds: number;
  /** The descriptors by what they point at: `socket`, `pipe`, `anon_inode`, or the file's path. */
  fdTargets: Record<string, number>;
}

/** The resident memory and open descriptors of process `pid` (Linux). */
export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  const fdTargets: Record<string, number> = {};
  const fds = readdirSync(`/proc/${pid}/fd`);
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`).replace(/^(socket|pipe|anon_inode):.*/, "$1");
    } catch {
      continue; // closed meanwhile
    }
    fdTargets[target] = (fdTargets[target] ?? 0) + 1;
  }
  return { rssBytes: rssKb * 1024, fds: fds.length, fdTargets };
}

/** Bytes as MiB with one decimal, for the summary. */
export const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The server's V8 heap in use, from its `/metrics` (`nodejs_heap_size_used_bytes`). */
export async function serverHeapUsed(url: string, token: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  const value = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error(`no nodejs_heap_size_used_bytes in ${url}/metrics (HTTP ${res.status})`);
  return Number(value);
}

/** What `after` holds more of than `before`, by descriptor target. */
export function fdGrowth(before: ProcessUsage, after: ProcessUsage): Record<string, number> {
  const growth: Record<string, number> = {};
  for (const [target, n] of Object.entries(after.fdTargets)) {
    const more = n - (before.fdTargets[target] ?? 0);
    if (more !== 0) growth[target] = more;
  }
  for (const [target, n] of Object.entries(before.fdTargets)) if (!(target in after.fdTargets)) growth[target] = -n;
  return growth;
}
