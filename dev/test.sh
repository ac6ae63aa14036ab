#!/usr/bin/env bash
# The README's test command: installs the programs the tests drive the servers with (a Python
# virtualenv with PyPI's alluxio, boto3, the aws CLI, pyspark and pymesos; JDK 17; headless
# Chromium and chromedriver; promtool; fuse3 and fio; pjdfstest), then runs every test.
# Arguments go to `cargo test` (e.g. `dev/test.sh -p alluxio-proxy`).
set -euo pipefail
cd "$(dirname "$0")/.."
dev/install-test-tools.sh
exec cargo test --workspace --locked "$@"
