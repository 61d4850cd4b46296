// What the server under test says it answered, read from its own /metrics:
// LaunchWorkspaceSession calls by Connect code (every protocol) and the
// machines with a daemon stream open. A benchmark row counts as measured only
// when every launch it sent was answered `ok`, which a gRPC status in a
// trailer (under HTTP 200) hides from the load generator.

export interface ServerCounts {
  /** LaunchWorkspaceSession calls by code name ("ok", "unavailable", …), summed over protocols. */
  launches: Record<string, number>;
  machinesOnline: number;
}

/** Reads /metrics of `url` with an API token. */
export async function readServerCounts(url: string, token: string): Promise<ServerCounts> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  const launches: Record<string, number> = {};
  for (const m of text.matchAll(/^wsctl_rpc_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = m[1]!;
    if (!labels.includes('LaunchWorkspaceSession"')) continue;
    const code = labels.match(/code="([^"]*)"/)?.[1] ?? "?";
    launches[code] = (launches[code] ?? 0) + Number(m[2]);
  }
  const online = text.match(/^wsctl_machines_online (\S+)$/m);
  return { launches, machinesOnline: Number(online?.[1] ?? 0) };
}

/** Launches answered with each code other than "ok" between two readings (empty when none). */
export function launchErrorsBetween(before: ServerCounts, after: ServerCounts): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const [code, count] of Object.entries(after.launches)) {
    const delta = count - (before.launches[code] ?? 0);
    if (code !== "ok" && delta > 0) errors[code] = delta;
  }
  return errors;
}
