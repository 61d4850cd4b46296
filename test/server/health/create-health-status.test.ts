import { describe, expect, it } from "vitest";
import { createHealthStatus } from "../../../server/health/create-health-status.js";

describe("createHealthStatus", () => {
  it("starts with the whole server SERVING and every named service unknown", () => {
    const status = createHealthStatus();
    expect(status.get("")).toBe("SERVING");
    expect(status.check("workspaces.v1.WorkspaceSessionService")).toBe("SERVICE_UNKNOWN");
    expect(status.list()).toEqual([["", "SERVING"]]);
  });

  it("tells listeners of changes only, until they unsubscribe", () => {
    const status = createHealthStatus({ a: "SERVING" });
    const seen: string[] = [];
    const off = status.onChange((service, s) => seen.push(`${service}=${s}`));
    status.set("a", "SERVING");
    status.set("a", "NOT_SERVING");
    status.remove("a");
    status.remove("a");
    off();
    status.set("a", "SERVING");
    expect(seen).toEqual(["a=NOT_SERVING", "a=SERVICE_UNKNOWN"]);
  });

  it("flips every service and the server to NOT_SERVING with setAll, as on shutdown", () => {
    const status = createHealthStatus({ a: "SERVING" });
    const seen: string[] = [];
    status.onChange((service, s) => seen.push(`${service}=${s}`));
    status.setAll("NOT_SERVING");
    expect(status.get("")).toBe("NOT_SERVING");
    expect(status.get("a")).toBe("NOT_SERVING");
    expect(seen.sort()).toEqual(["=NOT_SERVING", "a=NOT_SERVING"]);
  });
});
