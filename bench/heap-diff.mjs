// What grew between two heap snapshots of one process (node:v8's
// writeHeapSnapshot), by constructor: bytes and objects per unit, most bytes
// first. For the idle fan-out: snapshots before and after N streams opened
// (BENCH_HEAP_SNAPSHOT=DIR with bench/launch-path.ts or bench/bare-idle-streams.ts),
// divided by N.
//
//   node --max-old-space-size=8000 bench/heap-diff.mjs before.heapsnapshot after.heapsnapshot 1000 [rows]
import { readFileSync } from "node:fs";

function byConstructor(file) {
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const totals = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const kind = types[nodes[i + type]];
    const label = kind.includes("string") ? "(string)" : kind === "code" ? "(code)" : `${kind}:${strings[nodes[i + name]].slice(0, 60)}`;
    const total = totals.get(label) ?? { count: 0, bytes: 0 };
    total.count++;
    total.bytes += nodes[i + size];
    totals.set(label, total);
  }
  return totals;
}

const [beforeFile, afterFile, per = "1", rows = "40"] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error("usage: heap-diff.mjs before.heapsnapshot after.heapsnapshot [per] [rows]");
const before = byConstructor(beforeFile);
const unit = Number(per);
const grown = [...byConstructor(afterFile)].map(([label, { count, bytes }]) => {
  const was = before.get(label) ?? { count: 0, bytes: 0 };
  return { label, count: (count - was.count) / unit, bytes: (bytes - was.bytes) / unit };
});
grown.sort((a, b) => b.bytes - a.bytes);
console.log(`total ${Math.round(grown.reduce((sum, g) => sum + g.bytes, 0))} bytes per unit`);
for (const g of grown.slice(0, Number(rows))) console.log(`${g.bytes.toFixed(0).padStart(8)} ${g.count.toFixed(2).padStart(8)}  ${g.label}`);
