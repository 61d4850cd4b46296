import { describe, expect, it } from "vitest";
import { createLocalBackplane } from "../../../server/hub/create-local-backplane.js";

describe("createLocalBackplane", () => {
  it("knows of no other replica: nothing is online elsewhere, and a release always ends the machine's presence", async () => {
    const b = createLocalBackplane();
    await b.start();
    await b.hold("m-1", { daemonVersion: "1", hostname: "h" });
    expect(await b.online(["m-1"])).toEqual(new Map());
    expect(await b.release("m-1")).toBe(true);
    expect(await b.release("never-held")).toBe(true);
    expect(b.replicaId).toBe("local");
  });
});
