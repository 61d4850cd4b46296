const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a session over REST, again every `retryMs` while its machine is
 * offline or the server is unavailable, until the stop is answered or
 * `giveUpAt()` (read before each try) has passed. Resolves with the answer:
 * the `StopResult` name, an error code, or `gave up: <the last answer>`.
 */
export async function stopUntilDone(
  url: string,
  token: string,
  workspaceId: string,
  sessionId: string,
  options: { retryMs?: number; giveUpAt: () => number },
): Promise<string> {
  let last = "";
  while (Date.now() < options.giveUpAt()) {
    const answer = await fetch(`${url}/api/v1/workspaces/${workspaceId}/sessions/${sessionId}:stop`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ grace_seconds: 2 }),
    }).then(
      async (res) => {
        const body = (await res.json()) as { result?: string; code?: string };
        return res.status === 200 ? (body.result ?? "") : (body.code ?? `http ${res.status}`);
      },
      (error: unknown) => `thrown: ${(error as Error).message}`,
    );
    const retry = answer === "STOP_RESULT_MACHINE_OFFLINE" || answer === "unavailable" || answer === "deadline_exceeded" || answer.startsWith("thrown");
    if (!retry) return answer;
    last = answer;
    await sleep(options.retryMs ?? 500);
  }
  return `gave up: ${last}`;
}
