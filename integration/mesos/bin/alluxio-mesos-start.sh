#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts the Alluxio Mesos framework (`alluxio mesos`), which asks Mesos for resources and launches
# the Alluxio master and one worker per agent. Output goes to ${ALLUXIO_LOGS_DIR}/framework.out,
# the pid to ${ALLUXIO_LOGS_DIR}/framework.pid; alluxio-mesos-stop.sh stops it.

set -euo pipefail

USAGE="Usage: alluxio-mesos-start.sh [-hw] MESOS_MASTER_ADDRESS [ALLUXIO_MASTER_HOSTNAME]

  MESOS_MASTER_ADDRESS     the Mesos master: host:port (e.g. mesos.example.com:5050),
                           http(s)://host:port, or a comma-separated list of masters
  ALLUXIO_MASTER_HOSTNAME  launch the Alluxio master only on the Mesos agent with this hostname

  -h  print this help
  -w  wait: keep the framework in the foreground until it exits (SIGINT/SIGTERM stop it)

ALLUXIO_FRAMEWORK_OPTS (environment or conf/alluxio-env.sh) adds -Dkey=value properties for the
framework alone."

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALLUXIO_HOME="${ALLUXIO_HOME:-$(cd "${SCRIPT_DIR}/../../.." && pwd)}"
export ALLUXIO_HOME
# shellcheck source=../../../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"

PID_FILE="${ALLUXIO_LOGS_DIR}/framework.pid"
OUT_FILE="${ALLUXIO_LOGS_DIR}/framework.out"

# Refuses to start a second framework from the same logs directory.
check_not_running() {
  local pid
  if [[ -f "${PID_FILE}" ]]; then
    pid="$(cat "${PID_FILE}")"
    if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null; then
      echo "Error: the Alluxio framework is already running (pid ${pid}); stop it with ${SCRIPT_DIR}/alluxio-mesos-stop.sh" >&2
      exit 1
    fi
  fi
}

# Waits for the framework, passing SIGINT/SIGTERM on so it tears the cluster down, and returns
# its exit status.
wait_for_framework() {
  local pid="$1" status=0 interrupted
  trap 'interrupted="true"; kill -TERM "${pid}" 2>/dev/null || true' INT TERM
  while true; do
    interrupted="false"
    if wait "${pid}"; then
      status=0
    else
      status=$?
    fi
    # A trapped signal interrupts wait before the framework has ended: wait again for its
    # status (bash keeps it until collected, even if it already exited).
    if [[ "${interrupted}" == "false" ]]; then
      break
    fi
  done
  rm -f "${PID_FILE}"
  return "${status}"
}

main() {
  local wait_in_foreground="false" opt
  while getopts "hw" opt; do
    case "${opt}" in
      h)
        echo "${USAGE}"
        exit 0
        ;;
      w) wait_in_foreground="true" ;;
      *)
        echo "${USAGE}" >&2
        exit 1
        ;;
    esac
  done
  shift $((OPTIND - 1))
  if [[ $# -lt 1 || -z "$1" ]]; then
    echo "Error: MESOS_MASTER_ADDRESS is missing" >&2
    echo "${USAGE}" >&2
    exit 1
  fi
  if [[ $# -gt 2 ]]; then
    echo "Error: unexpected arguments after ALLUXIO_MASTER_HOSTNAME: ${*:3}" >&2
    echo "${USAGE}" >&2
    exit 1
  fi
  # Extra -Dkey=value for the framework alone, e.g. -Dalluxio.home=<install dir on the agents>
  # when it differs from this one (bin/alluxio sets alluxio.home to its own directory).
  local args=()
  read -r -a args <<<"${ALLUXIO_FRAMEWORK_OPTS:-}"
  args+=(mesos --mesos "$1")
  if [[ -n "${2:-}" ]]; then
    args+=(--alluxio-master "$2")
  fi

  mkdir -p "${ALLUXIO_LOGS_DIR}"
  check_not_running
  echo "Starting the Alluxio framework on Mesos master $1 @ $(hostname). Logging to ${OUT_FILE}"
  nohup "${ALLUXIO_HOME}/bin/alluxio" "${args[@]}" >"${OUT_FILE}" 2>&1 </dev/null &
  local pid=$!
  echo "${pid}" >"${PID_FILE}"
  if [[ "${wait_in_foreground}" == "true" ]]; then
    echo "Waiting for the framework (pid ${pid}); Ctrl-C stops it and its Alluxio tasks"
    wait_for_framework "${pid}"
  else
    echo "The framework runs with pid ${pid}; stop it with ${SCRIPT_DIR}/alluxio-mesos-stop.sh"
  fi
}

main "$@"
