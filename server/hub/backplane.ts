/** What a daemon said about itself when it subscribed. */
export interface DaemonInfo {
  daemonVersion: string;
  hostname: string;
}

/** What another replica tells this one. */
export interface BackplaneHandlers {
  /** A command for `machineId` was recorded; the replica holding its stream pushes it. */
  command(machineId: string, commandId: string): void;
  /** A command's acknowledgement (or expiry) was recorded; the replica waiting for it reads it. */
  ack(commandId: string): void;
  /** A session event was stored; replicas following the session read it. */
  event(sessionId: string, sequence: number): void;
  /** Another replica took `machineId`'s stream, or this replica's lease on it lapsed: close the local one. */
  lost(machineId: string): void;
  /** `machineId`'s holder went away without closing (its lease expired): it is offline now. */
  expired(machineId: string): void;
  /** Notifications may have been missed (the listener reconnected): re-read whatever is waited for. */
  resync(): void;
}

/**
 * The seam between replicas. The hub and the session event bus keep their
 * streams, waiters and followers in process, and tell the backplane what
 * other replicas must learn: which replica holds a machine's stream, that a
 * command, an acknowledgement or an event was recorded (the data itself is in
 * the store; notifications only say where to look). `createLocalBackplane` is
 * the one-process backplane (nothing to tell anyone);
 * `createPostgresBackplane` carries it over PostgreSQL leases and
 * LISTEN/NOTIFY.
 */
export interface Backplane {
  /** Identifies this replica in leases and logs. */
  readonly replicaId: string;
  /** Adds handlers of notifications from other replicas (the hub's, the event bus's). */
  on(handlers: Partial<BackplaneHandlers>): void;
  /** Starts listening; idempotent (every call returns the same promise). */
  start(): Promise<void>;
  /** Records that this replica holds `machineId`'s stream, taking it from any other holder. */
  hold(machineId: string, info: DaemonInfo): Promise<void>;
  /** Gives the machine up; true when this replica still held it (so the machine is now offline). */
  release(machineId: string): Promise<boolean>;
  /** Of `machineIds`, those whose stream another replica holds, with their info. */
  online(machineIds: readonly string[]): Promise<Map<string, DaemonInfo>>;
  /** Tells the holder of `machineId`'s stream to push the recorded command `commandId`. */
  route(machineId: string, commandId: string): Promise<void>;
  /** Tells the replica waiting for `commandId` that its acknowledgement is recorded. */
  acked(commandId: string): Promise<void>;
  /** Tells replicas following `sessionId` that event `sequence` is stored. */
  appended(sessionId: string, sequence: number): Promise<void>;
  /** Stops notifications and gives up every lease this replica holds. */
  close(): Promise<void>;
}
