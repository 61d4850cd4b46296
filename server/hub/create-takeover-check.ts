import { createHash } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Backplane, DaemonInfo } from "./backplane.js";

/** Who holds (or asks for) a machine's stream: the daemon's instance and a probe of its connection. */
export interface StreamHolder {
  /** `SubscribeRequest.instance_id`; "" from daemons that predate it. */
  instanceId: string;
  /** Resolves true while the holder's connection answers (see `connectionProbe`); absent: taken as live. */
  probe?: () => Promise<boolean>;
}

/** A machine's open stream on this replica, as far as the takeover check looks at it. */
export interface HeldStream {
  queue: { readonly closed: boolean; close(): void };
  info: DaemonInfo;
  holder: StreamHolder | undefined;
}

/** `DaemonHub.checkTakeover`: see there. */
export type TakeoverCheck = (machineId: string, claimant: StreamHolder & { hostname: string }) => Promise<void>;

/** The refusal of a Subscribe: the holder's instance id is its proof of identity, never told to anyone. */
function refusal(machineId: string): ConnectError {
  return new ConnectError(
    `machine ${machineId} already has a live daemon; one daemon per machine (it takes over once that daemon's stream ends)`,
    Code.AlreadyExists,
  );
}

/** SHA-256 (hex) of an instance id, as `DaemonInfo.instanceHash` carries it. */
export function instanceHash(instanceId: string): string {
  return createHash("sha256").update(instanceId).digest("hex");
}

/**
 * How logs name a daemon instance: the first 8 hex digits of the SHA-256 of
 * its id. The id itself proves a reconnect is the holder's own, so it is
 * never logged or sent back.
 */
export function instanceFingerprint(instanceId: string): string {
  return instanceId === "" ? "(none)" : instanceHash(instanceId).slice(0, 8);
}

/**
 * The rule of one daemon per machine (`DaemonHub.checkTakeover`): another
 * instance is refused `already_exists` while the holder's stream is live, on
 * this replica (its connection answers a probe) or on another (its lease
 * carries another `instanceHash`). Refusals and takeovers are logged with
 * instance fingerprints only.
 */
export function createTakeoverCheck(deps: {
  connections: ReadonlyMap<string, HeldStream>;
  backplane: Backplane;
  log: (message: string, error?: unknown) => void;
}): TakeoverCheck {
  const { connections, backplane, log } = deps;

  /**
   * Refuses `claimant` when another replica holds the machine's stream for
   * another instance. That replica closes a half-dead stream at its next
   * ping, and its lease then lapses: the claimant's retry gets in.
   */
  async function checkRemoteHolder(machineId: string, claimant: StreamHolder & { hostname: string }): Promise<void> {
    if (claimant.instanceId === "") return;
    const remote = (await backplane.online([machineId])).get(machineId);
    const held = remote?.instanceHash;
    if (held === undefined || held === "" || held === instanceHash(claimant.instanceId)) return;
    log(
      `machine ${machineId}: refused a Subscribe from daemon instance ${instanceFingerprint(claimant.instanceId)} (${claimant.hostname}): ` +
        `instance ${held.slice(0, 8)} (${remote?.hostname}) holds a live stream on another replica`,
    );
    throw refusal(machineId);
  }

  return async function checkTakeover(machineId, claimant) {
    const live = connections.get(machineId);
    if (live === undefined || live.queue.closed) {
      await checkRemoteHolder(machineId, claimant);
      return;
    }
    const held = live.holder?.instanceId ?? "";
    if (held === "" || claimant.instanceId === "" || held === claimant.instanceId) return;
    const alive = live.holder?.probe === undefined ? true : await live.holder.probe();
    if (connections.get(machineId) !== live || live.queue.closed) return;
    if (!alive) {
      log(
        `machine ${machineId}: daemon instance ${instanceFingerprint(held)} did not answer a ping; ` +
          `instance ${instanceFingerprint(claimant.instanceId)} (${claimant.hostname}) takes over its stream`,
      );
      live.queue.close();
      return;
    }
    log(
      `machine ${machineId}: refused a Subscribe from daemon instance ${instanceFingerprint(claimant.instanceId)} (${claimant.hostname}): ` +
        `instance ${instanceFingerprint(held)} (${live.info.hostname}) holds a live stream`,
    );
    throw refusal(machineId);
  };
}
