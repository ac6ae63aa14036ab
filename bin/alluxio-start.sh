#!/usr/bin/env bash
# Starts Alluxio processes in the background (nohup), output in ${ALLUXIO_LOGS_DIR}/<role>.out,
# pid in ${ALLUXIO_LOGS_DIR}/<role>.pid.

set -euo pipefail

USAGE="Usage: alluxio-start.sh [-hNwf] ACTION [MOPT] [-f]
Where ACTION is one of:
  all [MOPT]     Start a master on every host in conf/masters, a proxy on this host, and a
                 worker and a proxy on every host in conf/workers.
  local [MOPT]   Start a master, a worker and a proxy on this host.
  master         Start the master on this host.
  masters        Start a master on every host in conf/masters (via ssh); more than one needs
                 alluxio.zookeeper.enabled=true (one leads, the others are standbys).
  worker [MOPT]  Start a worker on this host.
  workers [MOPT] Start a worker on every host in conf/workers (via ssh).
  proxy          Start the proxy (REST and S3 API) on this host.
  proxies        Start a proxy on this host and on every host in conf/workers (via ssh).

MOPT (mount option) is one of:
  NoMount    (default) Use the level-0 tier path as it is; warn if it is not a tmpfs/ramfs.
  Mount      Mount a tmpfs of alluxio.worker.memory.size at the level-0 path (needs root).
  SudoMount  The same, with sudo.

-f  format the journal and worker storage before starting
-h  print this help
-N  do not stop running processes first
-w  wait until the started processes serve before returning"

BIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALLUXIO_HOME="${ALLUXIO_HOME:-$(cd "${BIN_DIR}/.." && pwd)}"
export ALLUXIO_HOME
# shellcheck source=../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"

# Seconds -w waits for a process to serve.
WAIT_TIMEOUT="${ALLUXIO_START_WAIT_TIMEOUT:-60}"

get_conf() {
  "${BIN_DIR}/alluxio" getConf "$@"
}

# Checks the level-0 path of a NoMount start.
check_mount() {
  local path fstype
  path="$(get_conf alluxio.worker.tieredstore.level0.dirs.path)"
  path="${path%%,*}"
  if [[ ! -d "${path}" ]]; then
    echo "Warning: the level-0 tier path ${path} does not exist; the worker will create it or fall back" >&2
    return 0
  fi
  fstype="$(stat -f -c %T "${path}" 2>/dev/null || echo unknown)"
  if [[ "${fstype}" != "tmpfs" && "${fstype}" != "ramfs" ]]; then
    echo "Warning: ${path} is on ${fstype}, not a tmpfs/ramfs; use Mount or SudoMount for memory speed" >&2
  fi
}

prepare_mount() {
  case "$1" in
    NoMount) check_mount ;;
    Mount | SudoMount) "${BIN_DIR}/alluxio-mount.sh" "$1" local ;;
    *)
      echo "Error: unknown mount option $1; use NoMount, Mount or SudoMount" >&2
      exit 1
      ;;
  esac
}

# Is something accepting connections on host:port?
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Waits until the role's process serves on its port, or fails if it dies or times out.
wait_for() {
  local role="$1" host="$2" port="$3" pid deadline
  pid="$(cat "${ALLUXIO_LOGS_DIR}/${role}.pid")"
  deadline=$((SECONDS + WAIT_TIMEOUT))
  until port_open "${host}" "${port}"; do
    if ! kill -0 "${pid}" 2>/dev/null; then
      echo "Error: the ${role} (pid ${pid}) exited; see ${ALLUXIO_LOGS_DIR}/${role}.out:" >&2
      tail -n 5 "${ALLUXIO_LOGS_DIR}/${role}.out" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "Error: the ${role} does not serve on ${host}:${port} after ${WAIT_TIMEOUT}s; see ${ALLUXIO_LOGS_DIR}/${role}.out" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "The ${role} serves on ${host}:${port}"
}

start_role() {
  local role="$1"
  mkdir -p "${ALLUXIO_LOGS_DIR}"
  echo "Starting ${role} @ $(hostname). Logging to ${ALLUXIO_LOGS_DIR}"
  nohup "${BIN_DIR}/alluxio" "${role}" >"${ALLUXIO_LOGS_DIR}/${role}.out" 2>&1 </dev/null &
  echo $! >"${ALLUXIO_LOGS_DIR}/${role}.pid"
}

start_master() {
  start_role master
  if [[ "${WAIT}" == "true" ]]; then
    wait_for master "$(get_conf alluxio.master.hostname)" "$(get_conf alluxio.master.port)"
  fi
}

start_worker() {
  local host
  prepare_mount "$1"
  start_role worker
  if [[ "${WAIT}" == "true" ]]; then
    host="$(get_conf alluxio.worker.hostname)"
    wait_for worker "${host:-localhost}" "$(get_conf alluxio.worker.port)"
  fi
}

start_proxy() {
  local host
  start_role proxy
  if [[ "${WAIT}" == "true" ]]; then
    host="$(get_conf alluxio.proxy.web.bind.host)"
    if [[ "${host}" == "0.0.0.0" ]]; then
      host="localhost"
    fi
    wait_for proxy "${host}" "$(get_conf alluxio.proxy.web.port)"
  fi
}

# A master on every host of conf/masters: this host's started here, the others over ssh.
start_masters() {
  local hosts host status=0 flags="-N"
  hosts="$(hosts_of masters)"
  if [[ "$(wc -w <<<"${hosts}")" -gt 1 && "$(get_conf alluxio.zookeeper.enabled)" != "true" ]]; then
    echo "Error: conf/masters lists several masters, but alluxio.zookeeper.enabled is not true: without ZooKeeper to elect a leader only one master may run" >&2
    return 1
  fi
  if [[ "${WAIT}" == "true" ]]; then
    flags="-Nw"
  fi
  for host in ${hosts}; do
    if is_this_host "${host}"; then
      start_master || status=1
      continue
    fi
    echo "[${host}] starting a master"
    ssh -o ConnectTimeout=5 "${host}" "${ALLUXIO_HOME}/bin/alluxio-start.sh ${flags} master" </dev/null || status=1
  done
  return "${status}"
}

start_workers() {
  local mopt="$1" hosts host status=0
  hosts="$(hosts_of workers)"
  if [[ "${hosts}" == "localhost" ]]; then
    start_worker "${mopt}"
    return
  fi
  local flags="-N"
  if [[ "${WAIT}" == "true" ]]; then
    flags="-Nw"
  fi
  for host in ${hosts}; do
    echo "[${host}] starting a worker"
    ssh -o ConnectTimeout=5 "${host}" "${ALLUXIO_HOME}/bin/alluxio-start.sh ${flags} worker ${mopt}" </dev/null || status=1
  done
  return "${status}"
}

# A proxy on this host and on every other host of conf/workers.
start_proxies() {
  local hosts host status=0 flags="-N"
  start_proxy
  hosts="$(hosts_of workers)"
  if [[ "${WAIT}" == "true" ]]; then
    flags="-Nw"
  fi
  for host in ${hosts}; do
    if is_this_host "${host}"; then
      continue
    fi
    echo "[${host}] starting a proxy"
    ssh -o ConnectTimeout=5 "${host}" "${ALLUXIO_HOME}/bin/alluxio-start.sh ${flags} proxy" </dev/null || status=1
  done
  return "${status}"
}

main() {
  local kill_first="true" format="false" action mopt
  WAIT="false"
  local opt
  while getopts "hNwf" opt; do
    case "${opt}" in
      h)
        echo "${USAGE}"
        exit 0
        ;;
      N) kill_first="false" ;;
      w) WAIT="true" ;;
      f) format="true" ;;
      *)
        echo "${USAGE}" >&2
        exit 1
        ;;
    esac
  done
  shift $((OPTIND - 1))
  action="${1:-}"
  mopt="NoMount"
  if [[ $# -ge 2 && "$2" != "-f" ]]; then
    mopt="$2"
  fi
  if [[ "${*: -1}" == "-f" ]]; then
    format="true"
  fi
  case "${action}" in
    all | local | master | masters | worker | workers | proxy | proxies) ;;
    *)
      echo "Error: invalid ACTION '${action}'" >&2
      echo "${USAGE}" >&2
      exit 1
      ;;
  esac
  if [[ "${kill_first}" == "true" ]]; then
    "${BIN_DIR}/alluxio-stop.sh" "${action}"
  fi
  if [[ "${format}" == "true" ]]; then
    "${BIN_DIR}/alluxio" format
  fi
  case "${action}" in
    all)
      start_masters
      start_workers "${mopt}"
      start_proxies
      ;;
    local)
      start_master
      start_worker "${mopt}"
      start_proxy
      ;;
    master) start_master ;;
    masters) start_masters ;;
    worker) start_worker "${mopt}" ;;
    workers) start_workers "${mopt}" ;;
    proxy) start_proxy ;;
    proxies) start_proxies ;;
  esac
}

main "$@"
