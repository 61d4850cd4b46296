import { type ParseArgsConfig, parseArgs } from "node:util";
import { defaultDaemonStateDir } from "../daemon/create-agent-registry.js";
import { pruneWorktrees } from "../daemon/prune-worktrees.js";
import { type CliIo, formatTable, printJson } from "./cli-output.js";
import { parseWorkspaceRoots } from "./parse-workspace-roots.js";

const usage = `Usage: wsctl daemon prune-worktrees --workspace-root WORKSPACE_ID=DIR [...] [--dry-run] [--force]

Removes the worktrees the daemon made under DIR/.worktrees/ whose agent has finished: those no
agent listed in the state directory still works in. Worktrees with uncommitted changes are kept
unless --force. Branches are kept (they hold the work); worktrees elsewhere and the repository's
own checkout are never touched. Run it on the machine, with the daemon's --state-dir.

Options:
  --workspace-root ID=DIR  a workspace directory, as given to wsctl daemon; repeatable
  --state-dir DIR          the daemon's state directory (env WSCTL_DAEMON_STATE_DIR; default
                           $XDG_STATE_HOME/wsctl/daemon or ~/.local/state/wsctl/daemon)
  --dry-run                only print what would be removed
  --force                  remove worktrees with uncommitted changes too
  --json                   one JSON object per worktree

Example:
  wsctl daemon prune-worktrees --workspace-root acme=$HOME/src/acme --dry-run
`;

const options = {
  "workspace-root": { type: "string", multiple: true, default: [] as string[] },
  "state-dir": { type: "string" },
  "dry-run": { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} satisfies ParseArgsConfig["options"];

/** `wsctl daemon prune-worktrees`: exits 0 once every finished worktree is removed or said why it was kept. */
export async function runPruneWorktrees(args: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true }>>["values"];
  try {
    values = parseArgs({ args, options, strict: true }).values;
  } catch (error) {
    io.stderr(`wsctl daemon prune-worktrees: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  const { roots, problems } = parseWorkspaceRoots(values["workspace-root"]);
  if (problems.length > 0) {
    io.stderr(`wsctl daemon prune-worktrees: ${problems.join("; ")}\n`);
    return 2;
  }
  let results: Awaited<ReturnType<typeof pruneWorktrees>>;
  try {
    results = await pruneWorktrees({
      workspaceRoots: roots,
      stateDir: values["state-dir"] || defaultDaemonStateDir(io.env),
      dryRun: values["dry-run"],
      force: values.force,
    });
  } catch (error) {
    io.stderr(`wsctl daemon prune-worktrees: ${(error as Error).message}\n`);
    return 1;
  }
  if (values.json) {
    for (const r of results) printJson(io, { workspace_id: r.workspaceId, work_dir: r.workDir, branch: r.branch, outcome: r.outcome, reason: r.reason });
    return 0;
  }
  if (results.length === 0) {
    io.stdout("no worktrees under .worktrees/\n");
    return 0;
  }
  const rows = [["WORKSPACE", "WORKTREE", "BRANCH", "OUTCOME", "WHY"], ...results.map((r) => [r.workspaceId, r.workDir, r.branch, r.outcome, r.reason])];
  for (const line of formatTable(rows)) io.stdout(`${line}\n`);
  return 0;
}
