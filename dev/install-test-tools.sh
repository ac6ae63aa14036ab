#!/usr/bin/env bash
# Installs the programs the tests drive the servers with, so that `dev/test.sh` passes on a fresh
# machine with only the Rust toolchain and Debian's package manager:
#  - a Python virtualenv at .venv (or $ALLUXIO_TEST_VENV) with PyPI's `alluxio` 0.1.4 (the REST
#    client of the proxy), boto3 and the aws CLI (S3);
#  - PyPI's pyspark 4.3.0 (same virtualenv): Spark for the end-to-end tests of the Hadoop client,
#    and the Hadoop client API jars (hadoop-client-api/-runtime 3.5.0) it is compiled against, as
#    no Maven repository is reachable; the JDK (17) comes from Debian's openjdk-17-jdk-headless;
#  - PyPI's pymesos (in the same virtualenv), the independent Mesos client the simulator is
#    cross-checked with;
#  - Debian's fuse3 (fusermount3), which `alluxio fuse mount` mounts and unmounts with;
#  - Debian's chromium and chromium-driver: the headless browser the web-UI tests drive over
#    WebDriver (alluxio_testkit::browser);
#  - Debian's prometheus, only for its promtool, which checks the /metrics pages; the install
#    never starts the Prometheus daemon, and leaves its service stopped and disabled;
#  - Debian's zookeeper (the server's jars under /usr/share/java, with Java 17 above): the real
#    ZooKeeper that alluxio_testkit::zookeeper starts on a loopback port for the high-availability
#    tests; the install never starts a ZooKeeper daemon (that is the zookeeperd package, left
#    out), and a `zookeeper` service found afterwards is stopped and disabled;
#  - Debian's fio and crates.io's pjdfstest 0.2.2 (built from source into target/test-tools, or
#    $ALLUXIO_TEST_TOOLS, where crates/cli/tests/fuse_conformance.rs looks for it): the FUSE
#    mount's sequential read/write and POSIX conformance tests.
# Each step is skipped when what it installs is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${ALLUXIO_TEST_VENV:-$PWD/.venv}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi

if ! "$venv/bin/python" -c 'import alluxio, boto3, awscli' >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'alluxio==0.1.4' 'boto3==1.44.8' 'awscli==1.46.3'
fi
"$venv/bin/python" -c 'import alluxio, boto3, awscli'

if ! command -v javac >/dev/null 2>&1 || ! command -v jar >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
fi
javac -version

if ! "$venv/bin/python" -c 'import pyspark; assert pyspark.__version__ == "4.3.0"' >/dev/null 2>&1; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pyspark==4.3.0'
fi
"$venv/bin/python" -c 'import pyspark; print("pyspark", pyspark.__version__)'

dev/install-pymesos.sh "$venv/bin/python"

if ! command -v fusermount3 >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 >/dev/null
fi
fusermount3 --version

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
chromedriver --version

# Installs Debian package $1 without recommends and leaves its service ($2) stopped and not
# started at boot. Where there is no systemd, a package's postinst runs `invoke-rc.d <service>
# start`: a policy-rc.d that refuses (unless the machine has one already, as containers do) keeps
# the daemon from starting.
install_without_daemon() {
  local package=$1 service=$2 policy=/usr/sbin/policy-rc.d added_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    added_policy=1
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  if [ -n "$added_policy" ]; then
    as_root rm -f "$policy"
    trap - EXIT
  fi
  # Whatever the policy was: the service stopped, and not started at boot.
  if [ -d /run/systemd/system ]; then
    as_root systemctl disable --now "$service.service" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$service" ]; then
    as_root "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    as_root update-rc.d "$service" disable >/dev/null 2>&1 || true
  fi
}

# Without recommends, prometheus-node-exporter (another daemon) stays out.
if ! command -v promtool >/dev/null 2>&1; then
  install_without_daemon prometheus prometheus
fi
promtool --version 2>&1 | sed -n 1p

# The zookeeper package ships jars and scripts, no daemon; zookeeperd (not installed here) would
# add the `zookeeper` service, should apt pull it in anyway.
if [ ! -e /usr/share/java/zookeeper.jar ]; then
  install_without_daemon zookeeper zookeeper
fi
dpkg-query -W -f='zookeeper ${Version}\n' zookeeper

if ! command -v fio >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fio >/dev/null
fi
fio --version

# pjdfstest switches to the users nobody (group nogroup) and daemon (group daemon), which every
# Debian system has (crates/cli/tests/fuse/pjdfstest.toml). About a minute to build on 2 cores.
tools="${ALLUXIO_TEST_TOOLS:-$PWD/target/test-tools}"
if [ "$("$tools/bin/pjdfstest" --version 2>/dev/null)" != "pjdfstest 0.2.2" ]; then
  cargo install pjdfstest --version 0.2.2 --locked --root "$tools" --quiet
fi
"$tools/bin/pjdfstest" --version
