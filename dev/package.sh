#!/usr/bin/env bash
# Builds the distribution tarball alluxio-<version>-bin.tar.gz: one top folder alluxio-<version>/
# with bin/, conf/ (templates), libexec/, integration/mesos/bin/, lib/alluxio (the binary),
# client/alluxio-<version>-client.jar (the Hadoop client, as Alluxio's tarball carries it) and the
# README, ready for the Mesos fetcher (alluxio.integration.mesos.alluxio.jar.url).

set -euo pipefail

USAGE="Usage: dev/package.sh [-h] [--binary PATH] [--client-jar PATH] [--no-strip] [OUTPUT_DIR]

  OUTPUT_DIR         where the tarball goes (default: dist/ in the repository)
  --binary PATH      package this alluxio binary instead of building one with
                     cargo build --release --bin alluxio (tests pass target/debug/alluxio)
  --client-jar PATH  package this Hadoop client jar instead of building one with
                     dev/build-client-jar.sh (which needs a JDK and pyspark's Hadoop jars)
  --no-strip         keep the binary's debug information
  -h                 print this help"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The version the binary reports; Cargo's workspace version if it cannot say.
package_version() {
  local binary="$1" version
  # A clean environment and home, so no site file of this machine can make `version` fail.
  version="$(env -i PATH="${PATH}" HOME="${STAGE}" "${binary}" version 2>/dev/null |
    sed -n 's/^Alluxio version: //p')" || true
  if [[ -z "${version}" ]]; then
    version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "${REPO}/Cargo.toml")"
  fi
  if [[ -z "${version}" ]]; then
    echo "Error: cannot tell the version from ${binary} version or ${REPO}/Cargo.toml" >&2
    exit 1
  fi
  echo "${version}"
}

main() {
  local binary="" client_jar="" strip_binary="true" out_dir="${REPO}/dist"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help)
        echo "${USAGE}"
        exit 0
        ;;
      --binary)
        if [[ $# -lt 2 ]]; then
          echo "Error: --binary needs a path" >&2
          echo "${USAGE}" >&2
          exit 1
        fi
        binary="$2"
        shift
        ;;
      --client-jar)
        if [[ $# -lt 2 ]]; then
          echo "Error: --client-jar needs a path" >&2
          echo "${USAGE}" >&2
          exit 1
        fi
        client_jar="$2"
        shift
        ;;
      --no-strip) strip_binary="false" ;;
      -*)
        echo "Error: unknown option $1" >&2
        echo "${USAGE}" >&2
        exit 1
        ;;
      *) out_dir="$1" ;;
    esac
    shift
  done

  if [[ -z "${binary}" ]]; then
    echo "Building the release binary (cargo build --release --bin alluxio)"
    (cd "${REPO}" && cargo build --release --bin alluxio)
    binary="${REPO}/target/release/alluxio"
  fi
  if [[ ! -x "${binary}" ]]; then
    echo "Error: ${binary} is not an executable alluxio binary" >&2
    exit 1
  fi

  STAGE="$(mktemp -d)"
  trap 'rm -rf "${STAGE}"' EXIT
  if [[ -z "${client_jar}" ]]; then
    echo "Building the Hadoop client jar (dev/build-client-jar.sh)"
    client_jar="$("${REPO}/dev/build-client-jar.sh" "${STAGE}/client-jar" | tail -n 1)"
  fi
  if [[ ! -f "${client_jar}" ]]; then
    echo "Error: ${client_jar} is not a client jar" >&2
    exit 1
  fi
  local version top tarball
  version="$(package_version "${binary}")"
  top="${STAGE}/alluxio-${version}"
  mkdir -p "${top}/bin" "${top}/client" "${top}/conf" "${top}/lib" "${top}/libexec" \
    "${top}/integration/mesos/bin" "${top}/integration/fuse/bin"
  cp "${REPO}"/bin/* "${top}/bin/"
  # Templates and host lists only: a developer's own alluxio-site.properties stays out.
  cp "${REPO}"/conf/*.template "${REPO}/conf/masters" "${REPO}/conf/workers" "${top}/conf/"
  cp "${REPO}"/libexec/*.sh "${top}/libexec/"
  cp "${REPO}"/integration/mesos/bin/*.sh "${top}/integration/mesos/bin/"
  cp "${REPO}/integration/fuse/bin/alluxio-fuse" "${top}/integration/fuse/bin/"
  cp "${REPO}/README.md" "${top}/"
  install -m 755 "${binary}" "${top}/lib/alluxio"
  install -m 644 "${client_jar}" "${top}/client/alluxio-${version}-client.jar"
  if [[ "${strip_binary}" == "true" ]] && command -v strip >/dev/null; then
    strip --strip-debug "${top}/lib/alluxio"
  fi

  mkdir -p "${out_dir}"
  tarball="$(cd "${out_dir}" && pwd)/alluxio-${version}-bin.tar.gz"
  tar -C "${STAGE}" -czf "${tarball}.tmp" "alluxio-${version}"
  mv "${tarball}.tmp" "${tarball}"
  echo "${tarball}"
}

main "$@"
