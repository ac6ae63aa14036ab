#!/usr/bin/env bash
# The README's test command: installs the programs the tests drive the servers with (a Python
# virtualenv with PyPI's alluxio, boto3, the aws CLI, pyspark and pymesos; JDK 17; headless
# Chromium and chromedriver; promtool; fuse3 and fio; pjdfstest), then runs every test.
# Arguments go to `cargo test` (e.g. `dev/test.sh -p alluxio-proxy`); without any, the master's
# namespace tests then run a second time on the disk metastore (ROCKS) instead of in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
dev/install-test-tools.sh
cargo test --workspace --locked "$@"
if [ "$#" -eq 0 ]; then
    ALLUXIO_TEST_METASTORE=ROCKS cargo test --locked -p alluxio-master --lib
fi
