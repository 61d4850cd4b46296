// The real-launch row of the launch benchmark: a REST launch with a new
// worktree_name through the real `wsctl daemon` (its git worktree, its spawn
// of the stand-in agent test/fixtures/stand-in-agent.mjs as `claude`, its
// wait for the agent's init event), against what that work costs timed alone
// in the same run: `git worktree add -b`, spawning the stand-in agent until
// its init event, and one authenticated API round trip. Pairs alternate
// (launch, alone, launch, alone…). Each launched session is stopped after it
// is timed; the daemon runs with --stop-agents.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { createGitRepo } from "../test/e2e/harness/create-git-repo.js";
import { standInAgent, wsctlBin } from "../test/e2e/harness/spawn-wsctl.js";
import { type BenchStack, realMachine, workspaceId } from "./bench-stack.js";
import { spawnUntilReady } from "./spawn-until-ready.js";
import { waitForOnline } from "./wait-for-online.js";

const git = promisify(execFile);

export interface RealLaunchSample {
  /** Successful launches, each REST call's wall time in ms. */
  launchMs: number[];
  /** The same work timed alone, in ms. */
  aloneMs: number[];
  /** Launches not answered 200 `ok`, with what they answered. */
  errors: string[];
}

/** Runs `pairs` launch/alone pairs against `stack` with a real daemon of its own in `dir`. */
export async function measureRealLaunches(stack: BenchStack, dir: string, pairs: number, online: number): Promise<RealLaunchSample> {
  const base = await mkdtemp(path.join(dir, "real-"));
  const repo = path.join(base, "repo");
  await createGitRepo(repo);
  await mkdir(path.join(base, "alone"), { recursive: true });
  const daemon = await spawnUntilReady(
    [wsctlBin, "daemon", "--server", stack.url, "--workspace-root", `${workspaceId}=${repo}`, "--claude-bin", standInAgent, "--state-dir", path.join(base, "state"), "--stop-agents", "--log-level", "warn"],
    null,
    { env: { WSCTL_TOKEN: stack.realMachineToken } },
  );
  const sample: RealLaunchSample = { launchMs: [], aloneMs: [], errors: [] };
  try {
    await waitForOnline(stack.url, stack.apiToken, online + 1, 30_000);
    for (let i = 0; i < pairs; i++) {
      await launchOnce(stack, `bench-real-${i}`, sample);
      sample.aloneMs.push(await aloneOnce(stack, repo, path.join(base, "alone", `alone-${i}`), `alone-${i}`));
    }
  } finally {
    await daemon.stop();
  }
  await waitForOnline(stack.url, stack.apiToken, online, 30_000);
  return sample;
}

async function launchOnce(stack: BenchStack, worktreeName: string, sample: RealLaunchSample): Promise<void> {
  const headers = { authorization: `Bearer ${stack.apiToken}`, "content-type": "application/json" };
  const sessions = `${stack.url}/api/v1/workspaces/${workspaceId}/sessions`;
  const started = performance.now();
  const res = await fetch(sessions, {
    method: "POST",
    headers,
    body: JSON.stringify({ machine_id: realMachine, worktree_name: worktreeName, initial_prompt: "hello" }),
  });
  const body = (await res.json()) as { status?: string; payload?: { session_id?: string } };
  const ms = performance.now() - started;
  if (res.status !== 200 || body.status !== "ok") {
    sample.errors.push(`${res.status} ${JSON.stringify(body)}`);
    return;
  }
  sample.launchMs.push(ms);
  const stopped = await fetch(`${sessions}/${body.payload?.session_id}:stop`, { method: "POST", headers, body: "{}" });
  if (stopped.status !== 200) sample.errors.push(`stop answered ${stopped.status} ${await stopped.text()}`);
}

/** `git worktree add`, the stand-in agent until its init event, one authenticated round trip: the time of all three. */
async function aloneOnce(stack: BenchStack, repo: string, workDir: string, branch: string): Promise<number> {
  const started = performance.now();
  await git("git", ["worktree", "add", "-b", branch, workDir], { cwd: repo });
  const agent = spawn(standInAgent, ["--print", "--output-format", "stream-json", "--verbose", "--session-id", branch, "--", "hello"], {
    cwd: workDir,
    stdio: ["ignore", "pipe", "ignore"],
  });
  try {
    await firstLine(agent);
    const res = await fetch(`${stack.url}/api/v1/machines/${realMachine}`, { headers: { authorization: `Bearer ${stack.apiToken}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET machine answered ${res.status}`);
    return performance.now() - started;
  } finally {
    agent.kill("SIGTERM");
  }
}

/** Resolves on the agent's first line of output (its init event). */
function firstLine(agent: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    agent.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve();
    });
    agent.once("exit", (code) => reject(new Error(`the stand-in agent exited ${code} before its init event`)));
  });
}
