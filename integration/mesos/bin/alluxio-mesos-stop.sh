#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the Alluxio Mesos framework with SIGTERM: it tears itself down on the Mesos master, which
# kills every Alluxio task. Waits (bounded by ALLUXIO_MESOS_STOP_TIMEOUT seconds) for it to exit.

set -euo pipefail

USAGE="Usage: alluxio-mesos-stop.sh [-h]

Stops the Alluxio framework started by alluxio-mesos-start.sh; Mesos then kills the Alluxio
master and workers it launched."

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALLUXIO_HOME="${ALLUXIO_HOME:-$(cd "${SCRIPT_DIR}/../../.." && pwd)}"
export ALLUXIO_HOME
# shellcheck source=../../../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"

PID_FILE="${ALLUXIO_LOGS_DIR}/framework.pid"
# Seconds to wait for the framework to tear down and exit before killing it.
STOP_TIMEOUT="${ALLUXIO_MESOS_STOP_TIMEOUT:-60}"

# The framework's pid from the pid file; without one, a search of the command lines for a
# framework of this installation (bin/alluxio passes -Dalluxio.home=<its home>), so another
# installation's framework on the same machine is left alone. A stale pid file means nothing runs.
framework_pids() {
  local pid home_pattern
  if [[ -f "${PID_FILE}" ]]; then
    pid="$(cat "${PID_FILE}")"
    if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
      echo "${pid}"
    fi
    return 0
  fi
  # shellcheck disable=SC2016 # a sed expression, not a shell one
  home_pattern="$(printf '%s' "${ALLUXIO_HOME}" | sed 's/[][\.*^$(){}+?|]/\\&/g')"
  pgrep -f -- "/alluxio -Dalluxio\.home=${home_pattern}( -D[^ ]*)* mesos( |\$)" || true
}

main() {
  case "${1:-}" in
    "") ;;
    -h | --help)
      echo "${USAGE}"
      exit 0
      ;;
    *)
      echo "Error: alluxio-mesos-stop.sh takes no arguments" >&2
      echo "${USAGE}" >&2
      exit 1
      ;;
  esac
  local pids pid deadline status=0
  pids="$(framework_pids)"
  rm -f "${PID_FILE}"
  if [[ -z "${pids}" ]]; then
    echo "No Alluxio framework is running"
    return 0
  fi
  echo "Stopping the Alluxio framework (pid ${pids//$'\n'/ }); Mesos kills its tasks"
  for pid in ${pids}; do
    kill -TERM "${pid}" 2>/dev/null || true
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in ${pids}; do
    while kill -0 "${pid}" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "Error: the framework (pid ${pid}) did not stop within ${STOP_TIMEOUT}s; killing it." \
          "Its tasks keep running until alluxio.integration.mesos.failover.timeout;" \
          "start the framework again to re-attach to them and stop it once more" >&2
        kill -KILL "${pid}" 2>/dev/null || true
        status=1
        break
      fi
      sleep 0.2
    done
  done
  return "${status}"
}

main "$@"
