#!/usr/bin/env bash
# Sourced by the scripts in bin/: reads conf/alluxio-env.sh and exports the directories the
# alluxio binary maps to properties (ALLUXIO_CONF_DIR -> alluxio.conf.dir, ...).

if [[ -z "${ALLUXIO_HOME:-}" ]]; then
  ALLUXIO_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fi
export ALLUXIO_HOME

ALLUXIO_CONF_DIR="${ALLUXIO_CONF_DIR:-${ALLUXIO_HOME}/conf}"
export ALLUXIO_CONF_DIR

if [[ -f "${ALLUXIO_CONF_DIR}/alluxio-env.sh" ]]; then
  # shellcheck source=/dev/null
  . "${ALLUXIO_CONF_DIR}/alluxio-env.sh"
fi

ALLUXIO_LOGS_DIR="${ALLUXIO_LOGS_DIR:-${ALLUXIO_HOME}/logs}"
export ALLUXIO_LOGS_DIR

# Variables alluxio-env.sh may set; the binary reads them as properties.
for var in ALLUXIO_MASTER_HOSTNAME ALLUXIO_UNDERFS_ADDRESS ALLUXIO_WORKER_MEMORY_SIZE ALLUXIO_RAM_FOLDER; do
  if [[ -n "${!var:-}" ]]; then
    export "${var?}"
  fi
done

# The hosts listed in conf/$1 (masters or workers), without comments and blank lines.
hosts_of() {
  grep -v '^[[:space:]]*#' "${ALLUXIO_CONF_DIR}/$1" | sed -e 's/[[:space:]]//g' -e '/^$/d'
}

is_this_host() {
  [[ "$1" == "localhost" || "$1" == "$(hostname)" ]]
}
