import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { MachineSchema } from "../../gen/workspaces/v1/machine_service_pb.js";
import { apiJsonOptions, type CliIo, exitCode, printJson } from "./cli-output.js";
import { clientFromOptions, clientOptions, clientOptionsHelp, runClientVerb } from "./client-options.js";
import { UsageError } from "./usage-error.js";
import { formatMachineTable } from "./format-session.js";

const usage = `Usage: wsctl machines [--workspace W]

Lists the machines the token can launch on, with whether their daemon is online.

Options:
  --workspace W           only machines of this workspace (default: every workspace of the token)

${clientOptionsHelp}

Examples:
  wsctl machines
  wsctl machines --workspace acme --json | jq -r '.machines[] | select(.online) | .machine_id'
`;

const options = {
  ...clientOptions,
  workspace: { type: "string" },
} as const;

/** `wsctl machines`: lists machines and their online state. */
export async function runMachines(args: string[], io: CliIo): Promise<number> {
  return runClientVerb("machines", io, async (progress) => {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true });
    if (values.help) {
      io.stdout(usage);
      return exitCode.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const { client } = clientFromOptions(values, io);
    progress.update("listing machines…");
    const res = await client.machines.listMachines({ workspaceId: values.workspace ?? "" }, { signal: io.signal });
    progress.clear();
    if (values.json) {
      printJson(io, { machines: res.machines.map((m) => toJson(MachineSchema, m, apiJsonOptions)) });
    } else if (res.machines.length === 0) {
      io.stdout("no machines\n");
    } else {
      io.stdout(`${formatMachineTable(res.machines).join("\n")}\n`);
    }
    return exitCode.ok;
  });
}
