#!/usr/bin/env bash
# Installs the programs the tests drive the servers with, so that `dev/test.sh` passes on a fresh
# machine with only the Rust toolchain and Debian's package manager:
#  - a Python virtualenv at .venv (or $ALLUXIO_TEST_VENV) with PyPI's `alluxio` 0.1.4 (the REST
#    client of the proxy), boto3 and the aws CLI (S3);
#  - PyPI's pyspark 4.3.0 (same virtualenv): Spark for the end-to-end tests of the Hadoop client,
#    and the Hadoop client API jars (hadoop-client-api/-runtime 3.5.0) it is compiled against, as
#    no Maven repository is reachable; the JDK (17) comes from Debian's openjdk-17-jdk-headless;
#  - PyPI's pymesos (in the same virtualenv), the independent Mesos client the simulator is
#    cross-checked with.
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
