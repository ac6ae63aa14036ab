#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The Alluxio master as a Mesos task: run from the sandbox by the framework's task command, it
# writes the sandbox configuration and runs `alluxio master` in the foreground, so Mesos sees the
# master exit. Logs: $MESOS_SANDBOX/logs/master.log. The journal is not formatted: a relaunched
# master recovers its namespace from it.

set -euo pipefail

# shellcheck source=alluxio-env-mesos.sh
. "$(dirname "${BASH_SOURCE[0]}")/alluxio-env-mesos.sh"

# A local root UFS may not exist yet on this agent (alluxio local creates it the same way).
ufs="$("${ALLUXIO}" getConf alluxio.master.mount.table.root.ufs)"
if [[ -n "${ufs}" && "${ufs}" != *://* ]]; then
  mkdir -p "${ufs}"
fi

echo "Starting the Alluxio master on ${LIBPROCESS_IP:-$(hostname)}; logs in ${ALLUXIO_LOGS_DIR}/master.log"
exec "${ALLUXIO}" "${ALLUXIO_MESOS_BIND_OPTS[@]}" master
