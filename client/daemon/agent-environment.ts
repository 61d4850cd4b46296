/** Prefix of the daemon's own variables (the machine token `WSCTL_TOKEN` among them). */
const ownPrefix = "WSCTL_";

/**
 * The environment agents are started with: the daemon's `env` without any
 * `WSCTL_*` variable (`WSCTL_TOKEN`, `WSCTL_TOKEN_FILE`, `WSCTL_SERVER`, …),
 * except those named in `allow`. Everything else (PATH, HOME, the providers'
 * own API keys) is passed on unchanged.
 */
export function agentEnvironment(env: NodeJS.ProcessEnv, allow: readonly string[]): NodeJS.ProcessEnv {
  const allowed = new Set(allow);
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (name.toUpperCase().startsWith(ownPrefix) && !allowed.has(name)) continue;
    out[name] = value;
  }
  return out;
}
