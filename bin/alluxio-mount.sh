#!/usr/bin/env bash
# Mounts (or unmounts) a tmpfs of alluxio.worker.memory.size at the worker's level-0 (MEM) path.

set -euo pipefail

USAGE="Usage: alluxio-mount.sh Mount|SudoMount|Umount|SudoUmount [local|workers]

  Mount       mount a tmpfs of alluxio.worker.memory.size at the level-0 tier path
  SudoMount   the same, with sudo
  Umount      unmount it
  SudoUmount  the same, with sudo
  local       on this host (default); workers: on every host in conf/workers, via ssh"

BIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALLUXIO_HOME="${ALLUXIO_HOME:-$(cd "${BIN_DIR}/.." && pwd)}"
export ALLUXIO_HOME
# shellcheck source=../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"

get_conf() {
  "${BIN_DIR}/alluxio" getConf "$@"
}

# The first directory of the level-0 tier.
tier_path() {
  local paths
  paths="$(get_conf alluxio.worker.tieredstore.level0.dirs.path)"
  echo "${paths%%,*}"
}

mount_local() {
  local sudo="$1" path size
  path="$(tier_path)"
  size="$(get_conf --unit B alluxio.worker.memory.size)"
  if [[ "$(uname -s)" != "Linux" ]]; then
    echo "Error: mounting a RAM disk is only supported on Linux" >&2
    return 1
  fi
  ${sudo} mkdir -p "${path}"
  if mountpoint -q "${path}"; then
    echo "Unmounting the existing file system at ${path}"
    ${sudo} umount -l "${path}" || true
  fi
  echo "Mounting a tmpfs of ${size} bytes at ${path}"
  if ! ${sudo} mount -t tmpfs -o "size=${size}" tmpfs "${path}"; then
    echo "Error: cannot mount a tmpfs at ${path}: run as root, or use SudoMount with passwordless sudo" >&2
    return 1
  fi
  ${sudo} chmod a+w "${path}"
}

umount_local() {
  local sudo="$1" path
  path="$(tier_path)"
  if mountpoint -q "${path}"; then
    echo "Unmounting ${path}"
    if ! ${sudo} umount -l "${path}"; then
      echo "Error: cannot unmount ${path}: run as root, or use SudoUmount" >&2
      return 1
    fi
  fi
}

run_on_workers() {
  local host status=0
  for host in $(hosts_of workers); do
    echo "[${host}] alluxio-mount.sh $1"
    # Keep ssh from eating the host list on stdin.
    ssh -o ConnectTimeout=5 "${host}" "${ALLUXIO_HOME}/bin/alluxio-mount.sh $1 local" </dev/null || status=1
  done
  return "${status}"
}

main() {
  local action="${1:-}" where="${2:-local}" sudo=""
  case "${action}" in
    Mount | Umount) ;;
    SudoMount | SudoUmount) sudo="sudo" ;;
    -h | --help)
      echo "${USAGE}"
      exit 0
      ;;
    *)
      echo "${USAGE}" >&2
      exit 1
      ;;
  esac
  case "${where}" in
    local)
      case "${action}" in
        *Mount) mount_local "${sudo}" ;;
        *Umount) umount_local "${sudo}" ;;
      esac
      ;;
    workers) run_on_workers "${action}" ;;
    *)
      echo "${USAGE}" >&2
      exit 1
      ;;
  esac
}

main "$@"
