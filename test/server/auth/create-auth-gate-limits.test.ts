import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MachineService } from "../../../gen/workspaces/v1/machine_service_pb.js";
import { createListeningApp, type ListeningApp } from "../../support/listening-app.js";

let env: ListeningApp | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

const machines = (url: string) => `${url}/api/v1/machines`;

describe("createAuthGate", () => {
  it("answers 429 with Retry-After once a token has used its burst, on REST and gRPC alike", async () => {
    env = await createListeningApp({ limits: { perToken: { ratePerSecond: 0.5, burst: 3 } } });
    const auth = { authorization: `Bearer ${env.apiToken}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(machines(env.url), { headers: auth })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await fetch(machines(env.url), { headers: auth });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ code: "resource_exhausted" });
    const grpc = createClient(MachineService, createGrpcTransport({ baseUrl: env.url }));
    const error = await grpc.listMachines({}, { headers: auth }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.metadata.get("retry-after")).toMatch(/^\d+$/);
    console.log(`createAuthGate: per-token limit 3 then 0.5/s: statuses ${statuses.join(",")},429, gRPC ${Code[error!.code]}`);
  });

  it("stops looking tokens up for an address that keeps failing, and limits every call of an address", async () => {
    env = await createListeningApp({ limits: { authFailuresPerAddress: { ratePerSecond: 0.1, burst: 5 } } });
    const lookups = vi.spyOn(env.store, "findTokenByHash");
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await fetch(machines(env.url), { headers: { authorization: "Bearer wsa_guess" } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    expect(lookups).toHaveBeenCalledTimes(5);
    console.log(`createAuthGate: 20 guesses from one address: ${statuses.filter((s) => s === 401).length} looked up, ${statuses.filter((s) => s === 429).length} refused 429 unlooked`);
    await env.close();

    env = await createListeningApp({ limits: { perAddress: { ratePerSecond: 0.1, burst: 2 } } });
    const auth = { authorization: `Bearer ${env.apiToken}` };
    const perAddress: number[] = [];
    for (let i = 0; i < 3; i++) perAddress.push((await fetch(machines(env.url), { headers: auth })).status);
    expect(perAddress).toEqual([200, 200, 429]);
    // Public endpoints are not counted.
    expect((await fetch(`${env.url}/openapi.json`)).status).toBe(200);
  });
});
