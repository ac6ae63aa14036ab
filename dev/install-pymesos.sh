#!/usr/bin/env bash
# Installs PyPI's pymesos, the independent v1 scheduler client the Mesos simulator is
# cross-checked with (crates/testkit/tests/pymesos_check.py), for the interpreter $1 (default
# python3; dev/install-test-tools.sh passes the test virtualenv's). Its dependency
# http-parser 0.9.0 ships a C extension that does not build on Python >= 3.11; its setup.py can
# install the pure-Python parser instead, which is all pymesos needs.
set -euo pipefail
python="${1:-python3}"
"$python" -c 'import pymesos' 2>/dev/null && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: -d "$work" http-parser==0.9.0
tar -xzf "$work"/http-parser-0.9.0.tar.gz -C "$work"
sed -i 's/run_setup(not IS_PYPY)/run_setup(False)/' "$work"/http-parser-0.9.0/setup.py
"$python" -m pip install --quiet --disable-pip-version-check "$work"/http-parser-0.9.0
"$python" -m pip install --quiet --disable-pip-version-check pymesos
"$python" -c 'import pymesos'
