#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# An Alluxio worker as a Mesos task: run from the sandbox by the framework's task command, it
# writes the sandbox configuration and runs `alluxio worker` in the foreground, so Mesos sees the
# worker exit. Logs: $MESOS_SANDBOX/logs/worker.log.

set -euo pipefail

# shellcheck source=alluxio-env-mesos.sh
. "$(dirname "${BASH_SOURCE[0]}")/alluxio-env-mesos.sh"

opts=("${ALLUXIO_MESOS_BIND_OPTS[@]}")
if [[ -n "${ALLUXIO_MASTER_HOSTNAME:-}" ]]; then
  opts+=("-Dalluxio.master.hostname=${ALLUXIO_MASTER_HOSTNAME}")
fi
if [[ -n "${ALLUXIO_WORKER_MEMORY_SIZE:-}" ]]; then
  opts+=("-Dalluxio.worker.memory.size=${ALLUXIO_WORKER_MEMORY_SIZE}")
fi

# Unless the operator chose the MEM tier's directory (ALLUXIO_RAM_FOLDER or the level-0 path),
# use one in /dev/shm named after this agent and worker port: agents sharing a machine never
# share it, and a worker relaunched on the same agent finds the blocks it cached.
tier_source="$("${ALLUXIO}" "${opts[@]}" getConf --source alluxio.worker.tieredstore.level0.dirs.path)"
if [[ "${tier_source}" == *"(DEFAULT)" ]]; then
  host="$("${ALLUXIO}" "${opts[@]}" getConf alluxio.worker.hostname)"
  port="$("${ALLUXIO}" "${opts[@]}" getConf alluxio.worker.port)"
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    ram_dir="/dev/shm/alluxio-mesos-${host:-$(hostname)}-${port}"
  else
    echo "Warning: /dev/shm is not available; the MEM tier goes to the sandbox (not a ramdisk, lost on relaunch)" >&2
    ram_dir="${MESOS_SANDBOX}/ramdisk"
  fi
  mkdir -p "${ram_dir}"
  opts+=("-Dalluxio.worker.tieredstore.level0.dirs.path=${ram_dir}")
fi

echo "Starting an Alluxio worker on ${LIBPROCESS_IP:-$(hostname)} for master ${ALLUXIO_MASTER_HOSTNAME:-(the leader, through ZooKeeper)}; logs in ${ALLUXIO_LOGS_DIR}/worker.log"
exec "${ALLUXIO}" "${opts[@]}" worker
