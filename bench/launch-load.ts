// The launch benchmark's load: REST launches (POST /api/v1/workspaces/{id}/sessions),
// `connections` at a time for `seconds`, spread round-robin over `targets`
// (a replica's URL and a machine), as a load balancer would. Run by
// bench/launch-replicas.ts as a child process, so load and servers do not
// share an event loop; prints one JSON line: launches per second, errors and
// latency percentiles.
//
//   node --import tsx bench/launch-load.ts '{"targets":[{"url":"…","machineId":"m1"}],"token":"wsa_…","workspaceId":"ws","connections":32,"seconds":5}'

interface LoadSpec {
  targets: { url: string; machineId: string }[];
  token: string;
  workspaceId: string;
  connections: number;
  seconds: number;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
const headers = { authorization: `Bearer ${spec.token}`, "content-type": "application/json" };
const latencies: number[] = [];
const errors = new Map<string, number>();
let next = 0;
const started = performance.now();
const end = started + spec.seconds * 1000;

async function worker(): Promise<void> {
  while (performance.now() < end) {
    const target = spec.targets[next++ % spec.targets.length]!;
    const t0 = performance.now();
    const res = await fetch(`${target.url}/api/v1/workspaces/${spec.workspaceId}/sessions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ machine_id: target.machineId, initial_prompt: "bench" }),
    });
    const body = (await res.json()) as { status?: string; code?: string };
    if (res.status === 200 && body.status === "ok") latencies.push(performance.now() - t0);
    else errors.set(body.code ?? `http ${res.status}`, (errors.get(body.code ?? `http ${res.status}`) ?? 0) + 1);
  }
}

await Promise.all(Array.from({ length: spec.connections }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({
    launches: latencies.length,
    perSecond: latencies.length / elapsed,
    errors: Object.fromEntries(errors),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  })}\n`,
);
