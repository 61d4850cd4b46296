import { describe, expect, it } from "vitest";
import { runAdmin } from "../../../client/wsctl/admin-command.js";
import { UsageError } from "../../../client/wsctl/usage-error.js";
import { runCli } from "../fake-workspace-server.js";

describe("UsageError", () => {
  it("is an Error carrying the message as given", () => {
    const error = new UsageError("--workspace W is required");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("UsageError");
    expect(error.message).toBe("--workspace W is required");
  });

  it("is the one the admin verbs exit 2 with, like the client verbs", async () => {
    const run = await runCli(runAdmin, ["create-machine", "m1"]);
    expect(run).toEqual({
      code: 2,
      stdout: "",
      stderr: "wsctl admin: create-machine needs exactly one --workspace ID\nRun 'wsctl admin --help' for usage.\n",
    });
  });
});
