#!/usr/bin/env bash
# Sourced by alluxio-{master,worker}-mesos.sh inside a Mesos sandbox: configuration and logs live
# in the sandbox, and the framework's configuration (ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT)
# becomes the site file. Defines ALLUXIO_HOME (the installation these scripts belong to:
# alluxio/ in the sandbox, or alluxio.home with the LOCAL route), ALLUXIO (its binary wrapper)
# and ALLUXIO_MESOS_BIND_OPTS.

if [[ -z "${MESOS_SANDBOX:-}" ]]; then
  echo "Error: MESOS_SANDBOX is not set; this script runs inside a Mesos task launched by the Alluxio framework" >&2
  exit 1
fi

ALLUXIO_CONF_DIR="${MESOS_SANDBOX}/conf"
ALLUXIO_LOGS_DIR="${MESOS_SANDBOX}/logs"
export ALLUXIO_CONF_DIR ALLUXIO_LOGS_DIR
mkdir -p "${ALLUXIO_CONF_DIR}" "${ALLUXIO_LOGS_DIR}"
printf '%s\n' "${ALLUXIO_MESOS_SITE_PROPERTIES_CONTENT:-}" >"${ALLUXIO_CONF_DIR}/alluxio-site.properties"

# The agent tells its tasks which address it serves on; binding there (and not 0.0.0.0) lets
# several agents share one machine on the same ports.
ALLUXIO_MESOS_BIND_OPTS=()
if [[ -n "${LIBPROCESS_IP:-}" ]]; then
  # shellcheck disable=SC2034 # used by the scripts that source this file
  ALLUXIO_MESOS_BIND_OPTS=(
    "-Dalluxio.master.bind.host=${LIBPROCESS_IP}"
    "-Dalluxio.master.web.bind.host=${LIBPROCESS_IP}"
    "-Dalluxio.worker.bind.host=${LIBPROCESS_IP}"
  )
fi

ALLUXIO_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
export ALLUXIO_HOME
# shellcheck source=../../../libexec/alluxio-config.sh
. "${ALLUXIO_HOME}/libexec/alluxio-config.sh"
# shellcheck disable=SC2034 # used by the scripts that source this file
ALLUXIO="${ALLUXIO_HOME}/bin/alluxio"
