#!/usr/bin/env bash
# The Mesos health check of an Alluxio master or worker task: GET /health on its web port, at
# the address the task serves on. Mesos runs it as a COMMAND check in the task's environment,
# because its own HTTP and TCP checks always go to 127.0.0.1 (Mesos health-checks.md, "Current
# limitations"), while a task binds the agent's address (LIBPROCESS_IP) so that agents sharing a
# machine can use the same ports. Pure bash (/dev/tcp): nothing to install on the agents.
#
# Usage: alluxio-mesos-health-check.sh WEB_PORT
# Exits 0 when the server answers 2xx or 3xx; Mesos bounds the time it may take.

set -uo pipefail

if [[ $# -ne 1 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "Usage: $0 WEB_PORT" >&2
  exit 2
fi
port="$1"
host="${LIBPROCESS_IP:-127.0.0.1}"

if ! exec 3<>"/dev/tcp/${host}/${port}"; then
  echo "nothing listens on ${host}:${port}" >&2
  exit 1
fi
printf 'GET /health HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "${host}" "${port}" >&3
if ! read -r _version status _ <&3; then
  echo "${host}:${port} closed the connection without an answer" >&2
  exit 1
fi
if [[ "${status}" =~ ^[23][0-9][0-9]$ ]]; then
  exit 0
fi
echo "${host}:${port}/health answered ${status}" >&2
exit 1
