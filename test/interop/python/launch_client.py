"""A gRPC client written against the public .proto files, in Python.

It calls workspaces.v1.WorkspaceSessionService and PermissionService over real gRPC (HTTP/2 without
TLS) with stubs that Debian's protoc and grpc_python_plugin generated, and
prints one JSON object with what each call returned, for the interop test to
assert on. It asserts nothing itself: an exception inside a case is reported in
that case's result, so one broken call never hides the others.

Usage:
    WSCTL_TOKEN=<api token> /usr/bin/python3 launch_client.py \
        --target 127.0.0.1:PORT --workspace ws1 --stubs DIR

DIR holds the generated modules (workspaces/v1/*_pb2*.py, google/api/...,
google/rpc/...). The API token comes from the WSCTL_TOKEN environment variable
so it never shows in a process listing.
"""

import argparse
import json
import os
import sys
import traceback

# Long enough for a launch and a 300 ms agent run on a loaded CI machine, short
# enough that a hung server fails the test instead of the suite's timeout.
CALL_TIMEOUT_S = 20.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of wsctl serve")
    parser.add_argument("--workspace", required=True, help="workspace id the token covers")
    parser.add_argument("--stubs", required=True, help="directory of the generated Python stubs")
    return parser.parse_args()


ARGS = parse_args()
sys.path.insert(0, ARGS.stubs)

import grpc  # noqa: E402
from google.protobuf import json_format, struct_pb2  # noqa: E402
from google.rpc import error_details_pb2, status_pb2  # noqa: E402
from workspaces.v1 import (  # noqa: E402
    launch_pb2,
    permission_service_pb2,
    permission_service_pb2_grpc,
    session_pb2,
    transcript_pb2,
    workspace_session_service_pb2,
    workspace_session_service_pb2_grpc,
)


def seed_request(workspace_id, initial_prompt=None, thinking="low", permission_mode=None):
    """The seed's request: nullable fields left unset, metadata an empty object."""
    request = launch_pb2.LaunchWorkspaceSessionRequest(
        workspace_id=workspace_id,
        metadata=struct_pb2.Struct(),
        session_settings=launch_pb2.SessionSettings(
            code=launch_pb2.CodeSettings(
                mode="agent",
                default_provider="claude_code",
                providers=launch_pb2.ProviderSettings(
                    claude_code=launch_pb2.ClaudeCodeSettings(model="haiku"),
                    codex=launch_pb2.CodexSettings(model="gpt-5.1-codex-max", thinking=thinking),
                ),
            ),
            voice=launch_pb2.VoiceSettings(language="en-US"),
        ),
    )
    if initial_prompt is not None:
        request.initial_prompt = initial_prompt
    if permission_mode is not None:
        request.session_settings.code.permission_mode = permission_mode
    return request


def auth(token):
    return [("authorization", "Bearer " + token)] if token else []


def struct_to_dict(message):
    """A Struct as plain JSON values, whole numbers as ints (Struct only has doubles)."""

    def fix(value):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return fix(json_format.MessageToDict(message))


def rpc_error(error):
    """A grpc.RpcError as JSON: code name, message, and decoded google.rpc details."""
    out = {"code": error.code().name, "details": error.details(), "violations": [], "detail_types": []}
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        out["status_code"] = status.code
        for detail in status.details:
            out["detail_types"].append(detail.TypeName())
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                out["violations"].extend(
                    {"field": v.field, "description": v.description} for v in bad.field_violations
                )
    return out


def run_case(fn):
    try:
        return fn()
    except grpc.RpcError as error:
        return {"error": rpc_error(error)}
    except Exception:  # reported, not raised: the test shows it
        return {"exception": traceback.format_exc()}


def typed_fields(response):
    """The response's typed fields, read as generated (pid is a Python int, no conversion)."""
    out = {
        "session_id": response.session_id,
        "machine_id": response.machine_id,
        "agent_session_id": response.agent_session_id,
        "provider": response.provider,
        "model": response.model,
        "work_dir": response.work_dir,
        "branch": response.branch,
        "pid": response.pid,
        "pid_type": type(response.pid).__name__,
        # Struct numbers are doubles: what a client reading payload["pid"] gets.
        "payload_pid_type": type(response.payload["pid"]).__name__ if "pid" in response.payload else None,
    }
    if response.HasField("error"):
        out["error"] = {"code": response.error.code, "message": response.error.message}
    return out


def launch(stub, token):
    response = stub.LaunchWorkspaceSession(
        seed_request(ARGS.workspace), metadata=auth(token), timeout=CALL_TIMEOUT_S
    )
    return {"status": response.status, "payload": struct_to_dict(response.payload), "typed": typed_fields(response)}


def launch_and_follow(stub, token):
    """Reads the stream until the session ends; heartbeats are only keep-alives."""
    events = []
    call = stub.LaunchWorkspaceSessionStream(
        seed_request(ARGS.workspace, initial_prompt="exit:0:300"),
        metadata=auth(token),
        timeout=CALL_TIMEOUT_S,
    )
    heartbeats = 0
    transcript = []
    for event in call:
        kind = session_pb2.SessionEventType.Name(event.type)
        if kind == "SESSION_EVENT_TYPE_HEARTBEAT":
            heartbeats += 1
            continue
        if kind == "SESSION_EVENT_TYPE_TRANSCRIPT":
            transcript.append(entry_dict(event))
            continue
        entry = {
            "type": kind.removeprefix("SESSION_EVENT_TYPE_"),
            "state": session_pb2.SessionState.Name(event.state).removeprefix("SESSION_STATE_"),
            "session_id": event.session_id,
            "sequence": event.sequence,
            "machine_id": event.machine_id,
        }
        if event.HasField("exit_code"):
            entry["exit_code"] = event.exit_code
        if event.HasField("acknowledgement"):
            entry["acknowledgement"] = {
                "status": event.acknowledgement.status,
                "payload": struct_to_dict(event.acknowledgement.payload),
                "typed": typed_fields(event.acknowledgement),
            }
        events.append(entry)
        if kind in ("SESSION_EVENT_TYPE_EXITED", "SESSION_EVENT_TYPE_FAILED", "SESSION_EVENT_TYPE_STOPPED"):
            call.cancel()
            break
    return {"events": events, "heartbeats": heartbeats, "transcript": transcript}


def entry_dict(event):
    entry = event.entry
    return {
        "sequence": event.sequence,
        "offset": entry.offset,
        "role": transcript_pb2.TranscriptRole.Name(entry.role).removeprefix("TRANSCRIPT_ROLE_"),
        "kind": transcript_pb2.TranscriptEntryKind.Name(entry.kind).removeprefix("TRANSCRIPT_ENTRY_KIND_"),
        "text": entry.text,
        "tool_name": entry.tool_name,
    }


def remote_control(stub, token):
    """Launch, read the transcript with ListSessionMessages, answer with SendSessionMessage, watch it end."""
    import time

    response = stub.LaunchWorkspaceSession(
        seed_request(ARGS.workspace, initial_prompt="hello from python"), metadata=auth(token), timeout=CALL_TIMEOUT_S
    )
    session_id = struct_to_dict(response.payload)["session_id"]
    key = {"workspace_id": ARGS.workspace, "session_id": session_id}
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while True:
        page = stub.ListSessionMessages(
            workspace_session_service_pb2.ListSessionMessagesRequest(**key, page_size=100),
            metadata=auth(token),
            timeout=CALL_TIMEOUT_S,
        )
        listed = [entry_dict(m) for m in page.messages]
        if any(e["kind"] == "RESULT" for e in listed) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    sent = stub.SendSessionMessage(
        workspace_session_service_pb2.SendSessionMessageRequest(**key, text="exit:0:100"),
        metadata=[*auth(token), ("idempotency-key", "python-1")],
        timeout=CALL_TIMEOUT_S,
    )
    watched = []
    for event in stub.WatchWorkspaceSession(
        workspace_session_service_pb2.WatchWorkspaceSessionRequest(**key), metadata=auth(token), timeout=CALL_TIMEOUT_S
    ):
        kind = session_pb2.SessionEventType.Name(event.type).removeprefix("SESSION_EVENT_TYPE_")
        if kind == "HEARTBEAT":
            continue
        watched.append(entry_dict(event) if kind == "TRANSCRIPT" else {"type": kind, "sequence": event.sequence})
    try:
        stub.SendSessionMessage(
            workspace_session_service_pb2.SendSessionMessageRequest(**key, text="still there?"),
            metadata=auth(token),
            timeout=CALL_TIMEOUT_S,
        )
        late = {"unexpected_success": True}
    except grpc.RpcError as error:
        late = {"error": rpc_error(error)}
    return {
        "listed": listed,
        "last_sequence": page.last_sequence,
        "sent": {"offset": sent.entry.offset, "role": transcript_pb2.TranscriptRole.Name(sent.entry.role), "text": sent.entry.text},
        "watched": watched,
        "late": late,
    }


def approvals(stub, permissions, token):
    """Launch an agent that asks to run a command, list its request, answer it twice, watch the decision reach it."""
    import time

    response = stub.LaunchWorkspaceSession(
        seed_request(ARGS.workspace, initial_prompt="use:Bash:npm test", permission_mode="default"),
        metadata=auth(token),
        timeout=CALL_TIMEOUT_S,
    )
    session_id = struct_to_dict(response.payload)["session_id"]
    key = {"workspace_id": ARGS.workspace, "session_id": session_id}
    deadline = time.monotonic() + CALL_TIMEOUT_S
    while True:
        pending = permissions.ListPendingPermissionRequests(
            permission_service_pb2.ListPendingPermissionRequestsRequest(**key), metadata=auth(token), timeout=CALL_TIMEOUT_S
        ).requests
        if pending or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    listed = [
        {"request_id": r.request_id, "session_id": r.session_id, "tool_name": r.tool_name, "input": struct_to_dict(r.input)}
        for r in pending
    ]
    request_id = pending[0].request_id
    answered = permissions.AnswerPermissionRequest(
        permission_service_pb2.AnswerPermissionRequestRequest(**key, request_id=request_id, decision="allow"),
        metadata=auth(token),
        timeout=CALL_TIMEOUT_S,
    ).request
    try:
        permissions.AnswerPermissionRequest(
            permission_service_pb2.AnswerPermissionRequestRequest(**key, request_id=request_id, decision="deny"),
            metadata=auth(token),
            timeout=CALL_TIMEOUT_S,
        )
        second = {"unexpected_success": True}
    except grpc.RpcError as error:
        second = {"error": rpc_error(error)}
    decision = None
    call = stub.WatchWorkspaceSession(
        workspace_session_service_pb2.WatchWorkspaceSessionRequest(**key), metadata=auth(token), timeout=CALL_TIMEOUT_S
    )
    for event in call:
        entry = event.entry
        if transcript_pb2.TranscriptEntryKind.Name(entry.kind) == "TRANSCRIPT_ENTRY_KIND_PERMISSION_DECISION":
            decision = {"request_id": entry.permission_request.request_id, "decision": entry.permission_request.decision}
            call.cancel()
            break
    stub.StopWorkspaceSession(
        workspace_session_service_pb2.StopWorkspaceSessionRequest(**key, grace_seconds=2), metadata=auth(token), timeout=CALL_TIMEOUT_S
    )
    return {
        "listed": listed,
        "answered": {"request_id": answered.request_id, "decision": answered.decision, "decided_by": answered.decided_by},
        "second": second,
        "decision_entry": decision,
    }


def expect_error(stub, request, token):
    response = stub.LaunchWorkspaceSession(request, metadata=auth(token), timeout=CALL_TIMEOUT_S)
    return {"unexpected_success": {"status": response.status, "payload": struct_to_dict(response.payload)}}


def main():
    token = os.environ.get("WSCTL_TOKEN", "")
    # No proxy: the target is a local h2c port, and an http_proxy variable in the
    # environment must not reroute it.
    options = [("grpc.enable_http_proxy", 0)]
    with grpc.insecure_channel(ARGS.target, options=options) as channel:
        grpc.channel_ready_future(channel).result(timeout=CALL_TIMEOUT_S)
        stub = workspace_session_service_pb2_grpc.WorkspaceSessionServiceStub(channel)
        permissions = permission_service_pb2_grpc.PermissionServiceStub(channel)
        results = {
            "grpc_version": grpc.__version__,
            "launch": run_case(lambda: launch(stub, token)),
            "launch_and_follow": run_case(lambda: launch_and_follow(stub, token)),
            "remote_control": run_case(lambda: remote_control(stub, token)),
            "approvals": run_case(lambda: approvals(stub, permissions, token)),
            "no_token": run_case(lambda: expect_error(stub, seed_request(ARGS.workspace), None)),
            "bad_thinking": run_case(
                lambda: expect_error(stub, seed_request(ARGS.workspace, thinking="extreme"), token)
            ),
        }
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
