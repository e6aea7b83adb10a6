#!/bin/sh
# Builds every command of the repository (./cmd/...) into the folder given as $1, the
# way a release is built: static (CGO_ENABLED=0), -trimpath, and with the version
# stamped into github.com/prometheus/common/version, which --version, the landing
# page and synthesisvr_exporter_build_info show.
#
# The Dockerfile's build stage runs this script, and so does CI (.ci/run), so the
# flags a release is built with are tested where they are written.
#
# The version fields come from the environment (the Dockerfile passes its build
# arguments); outside a container they default to what git says.
#
#   deploy/docker/build.sh dist/                  # dist/ and dist/windows-amd64/*.exe
#   VERSION=1.2.0 deploy/docker/build.sh dist/
#   BUILD_WINDOWS=no deploy/docker/build.sh dist/ # this platform only
set -eu

out=${1:?usage: build.sh OUTPUT_DIR}
mkdir -p "$out"

git_or() { git "$@" 2>/dev/null || true; }
: "${VERSION:=$(git_or describe --tags --always --dirty)}"
: "${REVISION:=$(git_or rev-parse HEAD)}"
: "${BRANCH:=$(git_or rev-parse --abbrev-ref HEAD)}"
: "${BUILD_USER:=$(id -un 2>/dev/null || echo unknown)@$(hostname 2>/dev/null || echo unknown)}"
: "${BUILD_DATE:=$(date -u +%Y%m%d-%H:%M:%S)}"

pkg=github.com/prometheus/common/version
# build OUT: the commands for GOOS/GOARCH of the environment (the host's by default).
build() {
  CGO_ENABLED=0 go build -trimpath -o "$1/" -ldflags "-s -w \
    -X $pkg.Version=${VERSION:-unknown} \
    -X $pkg.Revision=${REVISION:-unknown} \
    -X $pkg.Branch=${BRANCH:-unknown} \
    -X $pkg.BuildUser=$BUILD_USER \
    -X $pkg.BuildDate=$BUILD_DATE" \
    ./cmd/...
}

build "$out"
# Venues often have Windows PCs only: the .exe files go to OUTPUT_DIR/windows-amd64/
# (deploy/windows/README.md). The container image does without (BUILD_WINDOWS=no).
if [ "${BUILD_WINDOWS:-yes}" != no ]; then
  GOOS=windows GOARCH=amd64 build "$out/windows-amd64"
fi
