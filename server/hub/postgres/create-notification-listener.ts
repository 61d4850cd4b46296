import pg from "pg";

export interface NotificationListenerOptions {
  connection: pg.ClientConfig;
  /** Channels to LISTEN on (identifiers: letters, digits, `_`). */
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /** Called after a lost connection was replaced: notifications sent meanwhile were missed. */
  onReconnect(): void;
  log: (message: string, error?: unknown) => void;
  /** First pause before reconnecting; doubles up to 5 s. Default 100 ms. */
  retryMs?: number;
}

export interface NotificationListener {
  /** Connects and listens; rejects when the first connection fails. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One dedicated connection that LISTENs on the backplane's channels (a pooled
 * connection cannot: LISTEN belongs to its session). When the connection is
 * lost it reconnects with a capped backoff and says so, so the caller can
 * re-read what it might have missed.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const retryMs = options.retryMs ?? 100;
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client(options.connection);
    c.on("notification", (n) => options.onNotification(n.channel, n.payload ?? ""));
    c.on("error", (error) => {
      if (!closed) options.log("backplane: the notification connection failed; reconnecting", error);
    });
    c.on("end", () => {
      if (client === c && !closed) schedule(retryMs);
    });
    await c.connect();
    for (const channel of options.channels) {
      if (!/^\w+$/.test(channel)) throw new Error(`backplane: channel ${JSON.stringify(channel)} is not an identifier`);
      await c.query(`LISTEN ${channel}`);
    }
    client = c;
  }

  function schedule(delay: number): void {
    client = undefined;
    timer = setTimeout(() => {
      connect().then(
        () => options.onReconnect(),
        (error: unknown) => {
          if (closed) return;
          options.log("backplane: reconnecting the notification connection failed", error);
          schedule(Math.min(delay * 2, 5_000));
        },
      );
    }, delay);
    timer.unref();
  }

  return {
    start: connect,
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
