#!/usr/bin/env bash
# Checks the systemd units in deploy/ with `systemd-analyze verify` (from
# Debian's systemd package). verify exits 0 on keys it ignores, so any word
# from it fails the check. Run by .ci/run; works without systemd running.
set -euo pipefail
cd "$(dirname "$0")"
units=(wsctl-serve.service wsctl-daemon.service)
out="$(systemd-analyze verify "${units[@]}" 2>&1)" || { echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "systemd-analyze verify found problems in deploy/:"
  echo "$out"
  exit 1
fi
# Agents must survive a restart of the daemon.
grep -qx 'KillMode=process' wsctl-daemon.service || { echo "deploy/wsctl-daemon.service: KillMode=process is missing"; exit 1; }
echo "deploy: ${units[*]} verified"
