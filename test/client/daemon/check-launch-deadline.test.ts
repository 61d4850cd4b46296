import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { LaunchCommandSchema } from "../../../gen/workspaces/v1/daemon_service_pb.js";
import { checkLaunchDeadline } from "../../../client/daemon/check-launch-deadline.js";

const at = 1_700_000_000_000;
const launch = (deadlineMs?: number) =>
  create(LaunchCommandSchema, deadlineMs === undefined ? {} : { deadline: timestampFromMs(deadlineMs) });

describe("checkLaunchDeadline", () => {
  it("lets a launch through before its deadline, and one without a deadline at all", () => {
    expect(() => checkLaunchDeadline(launch(at + 1), "arrival", () => at)).not.toThrow();
    expect(() => checkLaunchDeadline(launch(), "spawn", () => at)).not.toThrow();
  });

  it("refuses with deadline_exceeded once the deadline has passed, saying at which step", () => {
    expect(() => checkLaunchDeadline(launch(at - 250), "arrival", () => at)).toThrow(
      expect.objectContaining({ code: "deadline_exceeded", message: expect.stringContaining("arrived 250 ms after its deadline") }),
    );
    expect(() => checkLaunchDeadline(launch(at), "spawn", () => at)).toThrow(
      expect.objectContaining({ code: "deadline_exceeded", message: expect.stringContaining("before its agent could be started; no agent was started") }),
    );
  });
});
