/** `--workspace-root WORKSPACE_ID=DIR` flags as a map, and what is wrong with the malformed ones. */
export function parseWorkspaceRoots(specs: readonly string[]): { roots: Map<string, string>; problems: string[] } {
  const roots = new Map<string, string>();
  const problems: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) problems.push(`--workspace-root must be WORKSPACE_ID=DIR, got "${spec}"`);
    else roots.set(spec.slice(0, eq), spec.slice(eq + 1));
  }
  if (roots.size === 0 && problems.length === 0) problems.push("at least one --workspace-root WORKSPACE_ID=DIR is required");
  return { roots, problems };
}
