#!/usr/bin/env bash
# Compiles the MySQL layer against Oracle's own libmysqlclient headers, as Ubuntu, RHEL and
# Alibaba Cloud Linux users build it. For each supported Oracle series it downloads a
# distribution's libmysqlclient-dev (Oracle's client, packaged) into .build/oracle-client/<series>
# (never into the repository), then
#   1. scripts/check-oracle-headers.sh: shim.h and a C file calling every wrapper, with
#      -Werror=implicit-function-declaration;
#   2. swift build of the CMySQL and MySQLClient targets with pkg-config pointed at it.
# Compile only: these libraries need newer glibc than Debian 12's, so nothing is linked or run.
#   scripts/oracle-client-check.sh [series...]     (make check-oracle; default: all)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="$REPO/.build/oracle-client"

# series → archive and suite whose main component carries that series' libmysqlclient-dev.
declare -A ARCHIVE=(
    [8.0]="http://archive.ubuntu.com/ubuntu noble-updates"     # Ubuntu 24.04: Oracle 8.0
    [8.4]="http://archive.ubuntu.com/ubuntu resolute"          # Ubuntu 26.04: Oracle 8.4 LTS
    [9.x]="http://deb.debian.org/debian sid"                   # Debian unstable: Oracle 9.x LTS
)
series=("$@")
((${#series[@]})) || series=(8.0 8.4 9.x)

for s in "${series[@]}"; do
    [[ -n "${ARCHIVE[$s]:-}" ]] || { echo "oracle-client-check: unknown series $s (have: ${!ARCHIVE[*]})" >&2; exit 2; }
    read -r mirror suite <<<"${ARCHIVE[$s]}"
    out="$BASE/$s"
    mkdir -p "$out"
    cd "$out"
    curl -fsS -m 120 -o Packages.xz "$mirror/dists/$suite/main/binary-amd64/Packages.xz"
    xz -dfk Packages.xz
    deb="$(awk '/^Package: libmysqlclient-dev$/ { p = 1 } p && /^Filename: / { print $2; exit }' Packages)"
    [[ -n "$deb" ]] || { echo "oracle-client-check: no libmysqlclient-dev in $mirror $suite" >&2; exit 1; }
    file="$(basename "$deb")"
    [[ -f "$file" ]] || curl -fsS -m 300 -o "$file" "$mirror/$deb"
    rm -rf root && dpkg-deb -x "$file" root
    echo "oracle-client-check: $s: $file"

    "$REPO/scripts/check-oracle-headers.sh" "$out/root/usr/include/mysql"

    pc="$out/root/usr/lib/x86_64-linux-gnu/pkgconfig"
    cd "$REPO"
    if ! log="$(PKG_CONFIG_SYSROOT_DIR="$out/root" PKG_CONFIG_PATH="$pc" PKG_CONFIG_LIBDIR="$pc" \
                swift build --scratch-path "$out/build" --target MySQLClient 2>&1)"; then
        echo "$log" >&2
        echo "oracle-client-check: $s: the MySQL layer does not compile against $file" >&2
        exit 1
    fi
    grep -E 'warning:' <<<"$log" || true
    echo "oracle-client-check: $s: the MySQL layer compiles against $file"
done
