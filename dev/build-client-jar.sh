#!/usr/bin/env bash
# Builds the Hadoop client jar alluxio-<version>-client.jar (version: [workspace.package] of
# Cargo.toml): the classes of crates/hadoop-jni/java/src (alluxio.hadoop.FileSystem, the
# alluxio:// FileSystem of Spark, Hive and Presto, and its native bindings alluxio.jni.*) and the
# native client liballuxio_jni.so at alluxio/native/linux-<arch>/, where
# alluxio.jni.NativeLibrary finds it. The jar also registers the FileSystem as a Hadoop service,
# so fs.alluxio.impl is optional.
#
# Needs a JDK 17 or newer (javac, jar) and the Hadoop client API jar to compile against. No Maven
# repository is reachable, so that jar comes from PyPI's pyspark, which bundles Hadoop's client
# jars and which dev/install-test-tools.sh installs into the test virtualenv.

set -euo pipefail

USAGE="Usage: dev/build-client-jar.sh [-h] [OUTPUT_DIR]

  OUTPUT_DIR  where the jar goes (default: dist/ in the repository)
  -h          print this help

Environment:
  ALLUXIO_JNI_LIB     an already built liballuxio_jni.so to bundle; without it the library is
                      built with cargo build --release -p alluxio-hadoop-jni
  HADOOP_CLIENT_JARS  a directory holding hadoop-client-api-*.jar; without it, the jars of
                      pyspark in the virtualenv \${ALLUXIO_TEST_VENV:-.venv}
  CARGO_TARGET_DIR    cargo's target directory (default: target/ in the repository)"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

fail() {
  echo "Error: $*" >&2
  exit 1
}

workspace_version() {
  local version
  version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "${REPO}/Cargo.toml")"
  [[ -n "${version}" ]] || fail "no version in [workspace.package] of ${REPO}/Cargo.toml"
  echo "${version}"
}

# The directory of the bundled library: linux-x86_64 or linux-aarch64, as NativeLibrary expects.
native_dir() {
  [[ "$(uname -s)" == "Linux" ]] || fail "the client jar bundles a Linux library; build it on Linux"
  case "$(uname -m)" in
    x86_64 | amd64) echo "linux-x86_64" ;;
    aarch64 | arm64) echo "linux-aarch64" ;;
    *) fail "no bundled library name for the architecture $(uname -m) (x86_64 and aarch64 only)" ;;
  esac
}

# The hadoop-client-api jar to compile against.
hadoop_api_jar() {
  local dir jar
  if [[ -n "${HADOOP_CLIENT_JARS:-}" ]]; then
    dir="${HADOOP_CLIENT_JARS}"
  else
    local venv="${ALLUXIO_TEST_VENV:-${REPO}/.venv}"
    dir="$(compgen -G "${venv}/lib/python3*/site-packages/pyspark/jars" | head -n 1 || true)"
    [[ -n "${dir}" ]] || fail "no pyspark in the virtualenv ${venv}, so no Hadoop client jars:" \
      "run dev/install-test-tools.sh, or set HADOOP_CLIENT_JARS to a directory holding" \
      "hadoop-client-api-*.jar"
  fi
  jar="$(compgen -G "${dir}/hadoop-client-api-*.jar" | sort | tail -n 1 || true)"
  [[ -n "${jar}" ]] || fail "no hadoop-client-api-*.jar in ${dir}: run dev/install-test-tools.sh" \
    "(it installs pyspark, which bundles it), or set HADOOP_CLIENT_JARS to a directory holding it"
  echo "${jar}"
}

# The native library to bundle: ALLUXIO_JNI_LIB, or a fresh release build.
native_library() {
  if [[ -n "${ALLUXIO_JNI_LIB:-}" ]]; then
    [[ -f "${ALLUXIO_JNI_LIB}" ]] || fail "ALLUXIO_JNI_LIB=${ALLUXIO_JNI_LIB} is not a file"
    echo "${ALLUXIO_JNI_LIB}"
    return
  fi
  (cd "${REPO}" && cargo build --release -p alluxio-hadoop-jni >&2) ||
    fail "cargo build --release -p alluxio-hadoop-jni failed"
  local target="${CARGO_TARGET_DIR:-target}"
  [[ "${target}" == /* ]] || target="${REPO}/${target}"
  [[ -f "${target}/release/liballuxio_jni.so" ]] ||
    fail "cargo built no ${target}/release/liballuxio_jni.so"
  echo "${target}/release/liballuxio_jni.so"
}

main() {
  local out_dir="${REPO}/dist"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help)
        echo "${USAGE}"
        exit 0
        ;;
      -*)
        echo "Error: unknown option $1" >&2
        echo "${USAGE}" >&2
        exit 1
        ;;
      *) out_dir="$1" ;;
    esac
    shift
  done
  command -v javac >/dev/null && command -v jar >/dev/null ||
    fail "javac and jar not found: install a JDK 17 or newer (apt-get install openjdk-17-jdk-headless)"

  local version native hadoop_api library
  version="$(workspace_version)"
  native="$(native_dir)"
  hadoop_api="$(hadoop_api_jar)"
  library="$(native_library)"

  STAGE="$(mktemp -d)"
  trap 'rm -rf "${STAGE}"' EXIT
  local classes="${STAGE}/classes" sources=()
  mapfile -d '' sources < <(find "${REPO}/crates/hadoop-jni/java/src" -name '*.java' -print0 | sort -z)
  [[ ${#sources[@]} -gt 0 ]] || fail "no Java sources under ${REPO}/crates/hadoop-jni/java/src"
  javac --release 17 -Xlint:all,-path -Werror -d "${classes}" -cp "${hadoop_api}" "${sources[@]}"

  mkdir -p "${classes}/alluxio/native/${native}" "${classes}/META-INF/services"
  cp "${library}" "${classes}/alluxio/native/${native}/liballuxio_jni.so"
  # Hadoop finds FileSystems by scheme through java.util.ServiceLoader.
  echo "alluxio.hadoop.FileSystem" >"${classes}/META-INF/services/org.apache.hadoop.fs.FileSystem"

  mkdir -p "${out_dir}"
  local jar_path
  jar_path="$(cd "${out_dir}" && pwd)/alluxio-${version}-client.jar"
  jar cf "${jar_path}" -C "${classes}" .
  echo "${jar_path}"
}

main "$@"
