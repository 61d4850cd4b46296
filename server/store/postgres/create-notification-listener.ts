import pg from "pg";

export interface NotificationListenerOptions {
  connection: pg.ClientConfig;
  /** Channels to LISTEN on (identifiers: letters, digits, `_`). */
  channels: readonly string[];
  onNotification(channel: string, payload: string): void;
  /** Called after a lost connection was replaced: notifications sent meanwhile were missed. */
  onReconnect(): void;
  /** Called as soon as the connection is found lost (before the reconnect attempts): nothing is heard until `onReconnect`. */
  onDisconnect?(): void;
  log: (message: string, error?: unknown) => void;
  /** Who listens, at the start of log messages. Default "backplane". */
  label?: string;
  /** First pause before reconnecting; doubles up to 5 s. Default 100 ms. */
  retryMs?: number;
}

export interface NotificationListener {
  /** Connects and listens; rejects when the first connection fails. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One dedicated connection that LISTENs on the given channels (a pooled
 * connection cannot: LISTEN belongs to its session), for the backplane and
 * for the store's token changes. When the connection is lost it says so,
 * reconnects with a capped backoff and says that too, so the caller can
 * re-read what it might have missed.
 */
export function createNotificationListener(options: NotificationListenerOptions): NotificationListener {
  const retryMs = options.retryMs ?? 100;
  const label = options.label ?? "backplane";
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client(options.connection);
    c.on("notification", (n) => options.onNotification(n.channel, n.payload ?? ""));
    c.on("error", (error) => {
      if (!closed) options.log(`${label}: the notification connection failed; reconnecting`, error);
    });
    c.on("end", () => {
      if (client !== c || closed) return;
      schedule(retryMs);
      options.onDisconnect?.();
    });
    try {
      await c.connect();
      for (const channel of options.channels) {
        if (!/^\w+$/.test(channel)) throw new Error(`${label}: channel ${JSON.stringify(channel)} is not an identifier`);
        await c.query(`LISTEN ${channel}`);
      }
    } catch (error) {
      await c.end().catch(() => {});
      throw error;
    }
    // Closed while connecting: nobody would end this connection.
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
  }

  function schedule(delay: number): void {
    client = undefined;
    timer = setTimeout(() => {
      connect().then(
        () => {
          if (!closed) options.onReconnect();
        },
        (error: unknown) => {
          if (closed) return;
          options.log(`${label}: reconnecting the notification connection failed`, error);
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
