import { readdirSync, readFileSync } from "node:fs";

/** What a process holds at one moment, read from /proc. */
export interface ProcessUsage {
  /** Resident set size (VmRSS), in bytes. */
  rssBytes: number;
  /** Open file descriptors (entries of /proc/<pid>/fd). */
  fds: number;
}

/** The resident memory and open descriptors of process `pid` (Linux). */
export function processUsage(pid: number): ProcessUsage {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { rssBytes: rssKb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Bytes as MiB with one decimal, for the summary. */
export const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
