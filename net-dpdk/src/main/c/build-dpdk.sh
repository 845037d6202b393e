#!/bin/sh
# Compiles one C source against the installed DPDK: the shared step of build-shim.sh (net-dpdk) and
# build-pingpong.sh (bench).
#
#   build-dpdk.sh TAG OUTPUT MISSING_FILE SOURCE [gcc flags...]
#
# Without gcc or the DPDK headers this is not an error: it writes MISSING_FILE with the reason (naming the
# Debian package) and exits 0, so the rest of RUM still builds and the code that needs OUTPUT can say why it
# is absent. A compile error is an error (exit 1), with gcc's output.
set -eu
if [ $# -lt 4 ]; then
  echo "usage: $0 TAG OUTPUT MISSING_FILE SOURCE [gcc flags...]" >&2
  exit 2
fi
TAG=$1
OUTPUT=$2
MISSING_FILE=$3
SOURCE=$4
shift 4
mkdir -p "$(dirname "$OUTPUT")"
rm -f "$MISSING_FILE"

missing() {
  echo "$1" > "$MISSING_FILE"
  rm -f "$OUTPUT"
  echo "$TAG: $(basename "$OUTPUT") not built: $1" >&2
  exit 0
}

command -v gcc >/dev/null 2>&1 || missing "gcc not installed (apt-get install gcc)"
command -v pkg-config >/dev/null 2>&1 || missing "pkg-config not installed (apt-get install pkg-config)"
pkg-config --exists libdpdk || missing "libdpdk-dev not installed (pkg-config libdpdk not found; apt-get install dpdk libdpdk-dev)"

# pkg-config adds -march=corei7 for Debian's DPDK. The caller's flags go before the libraries it may add.
# shellcheck disable=SC2046
if ! gcc -O2 -g -Wall -Wextra -Werror "$@" \
    $(pkg-config --cflags libdpdk) \
    -o "$OUTPUT.tmp" "$SOURCE" \
    $(pkg-config --libs libdpdk) ${EXTRA_LIBS:-} 2> "$OUTPUT.log"; then
  cat "$OUTPUT.log" >&2
  rm -f "$OUTPUT.tmp"
  echo "$TAG: gcc failed on $(basename "$SOURCE"), see above" >&2
  exit 1
fi
mv "$OUTPUT.tmp" "$OUTPUT"
echo "$TAG: built $OUTPUT (DPDK $(pkg-config --modversion libdpdk))"
