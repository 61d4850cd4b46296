import { describe, expect, it } from "vitest";
import { SessionState } from "../../../gen/workspaces/v1/session_pb.js";
import { pollUntil } from "../../support/poll-until.js";
import { useDaemonTestBed } from "./use-daemon-test-bed.js";
import { serveFakeDaemonService } from "./serve-fake-daemon-service.js";
import { promptOf } from "./stand-in-agents.js";

// A daemon given several servers (replicas behind one database) against fake
// servers on real ports: one is killed, the daemon moves to the next.

const token = "machine-token-1";
const bed = useDaemonTestBed(token);

/** A fake server on a real port (`port` 0: any free one), closed after the test. */
async function serveFake(port = 0, options: { streamReports?: boolean } = {}) {
  const served = await serveFakeDaemonService({ token, port, ...options });
  bed.onCleanup(() => served.kill());
  return served;
}

/** A daemon on `urls`, started with the sleeper stand-in as claude. */
async function startDaemon(urls: string[]) {
  return bed.startDaemon({ server: urls, bins: { claude: bed.agents.sleeper, codex: bed.agents.codex } });
}

function launch(commandId: string, sessionId: string) {
  return {
    commandId,
    kind: {
      case: "launch" as const,
      value: { sessionId, workspaceId: "ws1", request: { workspaceId: "ws1", initialPrompt: `prompt-${commandId}` } },
    },
  };
}

function stop(commandId: string, sessionId: string) {
  return { commandId, kind: { case: "stop" as const, value: { sessionId, grace: { seconds: 1n, nanos: 0 } } } };
}

const spawnsOf = async (commandId: string) =>
  (await bed.agents.records()).filter((r) => promptOf(r) === `prompt-${commandId}`).length;

describe("runDaemon with several servers", () => {
  it("moves to the next server when its stream fails, and acknowledges and reports there", async () => {
    const [a, b] = [await serveFake(), await serveFake()] as const;
    const daemon = await startDaemon([a.url, b.url]);
    await a.fake.waitForSubscribes(1);
    a.fake.push(launch("c1", "s1"));
    const first = await a.fake.waitForAck("c1");
    expect(first.status).toBe("ok");
    const pid = first.payload?.pid as number;
    bed.leave(pid);
    await a.fake.waitForReport("s1", SessionState.RUNNING);

    await a.kill();
    await b.fake.waitForSubscribes(1);
    expect(b.fake.subscribeRequests[0]?.runningSessions).toMatchObject([{ sessionId: "s1", pid }]);
    expect(daemon.logs).toContain(`daemon: failing over to ${b.url}`);

    // The command redelivered by the other replica is answered from the journal.
    b.fake.push(launch("c1", "s1"));
    expect(await b.fake.waitForAck("c1")).toMatchObject({ status: "ok", payload: first.payload });
    await pollUntil(async () => (await spawnsOf("c1")) > 0, { timeoutMs: 10_000, what: "the agent's start" });
    expect(await spawnsOf("c1")).toBe(1);
    // Acknowledgements and reports follow the current server.
    b.fake.push(stop("c2", "s1"));
    expect((await b.fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    await b.fake.waitForReport("s1", SessionState.FAILED);
    expect(a.fake.acks.map((ack) => ack.commandId)).toEqual(["c1"]);
    expect(b.fake.acks.map((ack) => ack.commandId)).toEqual(["c1", "c2"]);
  });

  it("sends acknowledgements as unary calls to a server without StreamReports, and on the stream to the next one that has it", async () => {
    const old = await serveFake(0, { streamReports: false });
    const current = await serveFake();
    await startDaemon([old.url, current.url]);
    await old.fake.waitForSubscribes(1);
    old.fake.push(launch("c1", "s1"));
    bed.leave((await old.fake.waitForAck("c1")).payload?.pid as number);
    await old.fake.waitForReport("s1", SessionState.RUNNING);
    expect([old.fake.calls.acknowledge, old.fake.calls.reportSessionState]).toEqual([1, 1]);

    await old.kill();
    await current.fake.waitForSubscribes(1);
    current.fake.push(stop("c2", "s1"));
    expect((await current.fake.waitForAck("c2")).payload).toEqual({ result: "stopped" });
    await current.fake.waitForReport("s1", SessionState.FAILED);
    expect(current.fake.calls).toMatchObject({ streamReports: 1 });
    expect([current.fake.calls.acknowledge, current.fake.calls.reportSessionState]).toEqual([undefined, undefined]);
  });

  it("wraps around to the first server after the last", async () => {
    const a = await serveFake();
    const b = await serveFake();
    await startDaemon([a.url, b.url]);
    await a.fake.waitForSubscribes(1);
    await a.kill();
    await b.fake.waitForSubscribes(1);
    const again = await serveFake(a.port);
    await b.kill();
    await again.fake.waitForSubscribes(1);
    again.fake.push(launch("c3", "s3"));
    const ack = await again.fake.waitForAck("c3");
    bed.leave(ack.payload?.pid as number);
    expect(ack.status).toBe("ok");
  });

  it("stays on its server when the stream ends normally", async () => {
    const a = await serveFake();
    const b = await serveFake();
    const daemon = await startDaemon([a.url, b.url]);
    await a.fake.waitForSubscribes(1);
    a.fake.endStream();
    await a.fake.waitForSubscribes(2);
    expect(b.fake.subscribeRequests).toHaveLength(0);
    expect(daemon.logs.some((line) => line.includes("failing over"))).toBe(false);
  });

  it("with one server, reconnects to it as before", async () => {
    const a = await serveFake();
    const daemon = await startDaemon([a.url]);
    await a.fake.waitForSubscribes(1);
    await a.kill();
    const again = await serveFake(a.port);
    await again.fake.waitForSubscribes(1);
    expect(daemon.logs.filter((line) => line.startsWith("daemon: subscribing to"))).toEqual(
      expect.arrayContaining([`daemon: subscribing to ${a.url}`]),
    );
    expect(daemon.logs.some((line) => line.includes("failing over"))).toBe(false);
  });
});
