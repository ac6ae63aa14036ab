#!/usr/bin/env bash
# Stops Alluxio processes: SIGTERM, then SIGKILL if they are still there after a bound.

set -euo pipefail

USAGE="Usage: alluxio-stop.sh [-h] ACTION
Where ACTION is one of:
  all      Stop the masters on every host in conf/masters, the proxy on this host and the workers
           and proxies on every host in conf/workers.
  local    Stop the master, the worker and the proxy on this host.
  master   Stop the master on this host.
  masters  Stop the masters on every host in conf/masters (via ssh).
  worker   Stop the worker on this host.
  workers  Stop the workers on every host in conf/workers (via ssh).
  proxy    Stop the proxy on this host.
  proxies  Stop the proxies on this host and every host in conf/workers (via ssh)."

BIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALLUXIO_HOME="${ALLUXIO_HOME:-$(cd "${BIN_DIR}/.." && pwd)}"
export ALLUXIO_HOME
# shellcheck source=../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"

# Seconds between SIGTERM and SIGKILL.
STOP_TIMEOUT="${ALLUXIO_STOP_TIMEOUT:-30}"

# Pids of a role: its pid file if the process is alive, else a search of the command lines.
role_pids() {
  local role="$1" pid_file="${ALLUXIO_LOGS_DIR}/${1}.pid" pid
  if [[ -f "${pid_file}" ]]; then
    pid="$(cat "${pid_file}")"
    if kill -0 "${pid}" 2>/dev/null; then
      echo "${pid}"
      return
    fi
  fi
  pgrep -f -- "/alluxio( -D[^ ]*)* ${role}\$" || true
}

stop_role() {
  local role="$1" pids pid deadline
  pids="$(role_pids "${role}")"
  rm -f "${ALLUXIO_LOGS_DIR}/${role}.pid"
  if [[ -z "${pids}" ]]; then
    return 0
  fi
  echo "Stopping ${role} (pid ${pids//$'\n'/ }) @ $(hostname)"
  for pid in ${pids}; do
    kill -TERM "${pid}" 2>/dev/null || true
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in ${pids}; do
    while kill -0 "${pid}" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "The ${role} (pid ${pid}) did not stop within ${STOP_TIMEOUT}s; killing it" >&2
        kill -KILL "${pid}" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  done
}

# The role $1 on every host of conf/$2: stopped here for this host, over ssh for the others.
stop_everywhere() {
  local role="$1" hosts host status=0
  hosts="$(hosts_of "$2")"
  for host in ${hosts}; do
    if is_this_host "${host}"; then
      stop_role "${role}"
      continue
    fi
    ssh -o ConnectTimeout=5 "${host}" "${ALLUXIO_HOME}/bin/alluxio-stop.sh ${role}" </dev/null || status=1
  done
  return "${status}"
}

stop_proxies() {
  stop_role proxy
  stop_everywhere proxy workers
}

main() {
  case "${1:-}" in
    -h | --help)
      echo "${USAGE}"
      exit 0
      ;;
    all)
      stop_proxies
      stop_everywhere worker workers
      stop_everywhere master masters
      ;;
    local)
      stop_role proxy
      stop_role worker
      stop_role master
      ;;
    master) stop_role master ;;
    masters) stop_everywhere master masters ;;
    worker) stop_role worker ;;
    workers) stop_everywhere worker workers ;;
    proxy) stop_role proxy ;;
    proxies) stop_proxies ;;
    *)
      echo "Error: invalid ACTION '${1:-}'" >&2
      echo "${USAGE}" >&2
      exit 1
      ;;
  esac
}

main "$@"
