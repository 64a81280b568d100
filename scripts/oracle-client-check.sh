#!/usr/bin/env bash
# Compiles the MySQL layer against Oracle's own libmysqlclient headers, as Ubuntu, RHEL and
# Alibaba Cloud Linux users build it: downloads Debian unstable's libmysqlclient-dev (Oracle
# MySQL's client, e.g. 9.7 LTS) from deb.debian.org into .build/oracle-client (never into the
# repository), then
#   1. scripts/check-oracle-headers.sh: shim.h and a C file calling every wrapper, with
#      -Werror=implicit-function-declaration;
#   2. swift build of the CMySQL and MySQLClient targets with pkg-config pointed at it.
# Compile only: that library needs a newer glibc than Debian 12's, so nothing is linked or run.
#   scripts/oracle-client-check.sh        (make check-oracle)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$REPO/.build/oracle-client"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$OUT"
cd "$OUT"

curl -fsS -m 120 -o Packages.xz "$MIRROR/dists/sid/main/binary-amd64/Packages.xz"
xz -dfk Packages.xz
deb="$(awk '/^Package: libmysqlclient-dev$/ { p = 1 } p && /^Filename: / { print $2; exit }' Packages)"
[[ -n "$deb" ]] || { echo "oracle-client-check: no libmysqlclient-dev in Debian unstable" >&2; exit 1; }
version="$(basename "$deb")"
if [[ ! -f "$version" ]]; then
    curl -fsS -m 300 -o "$version" "$MIRROR/$deb"
fi
rm -rf root && dpkg-deb -x "$version" root
echo "oracle-client-check: $version"

"$REPO/scripts/check-oracle-headers.sh" "$OUT/root/usr/include/mysql"

pc="$OUT/root/usr/lib/x86_64-linux-gnu/pkgconfig"
cd "$REPO"
PKG_CONFIG_SYSROOT_DIR="$OUT/root" PKG_CONFIG_PATH="$pc" PKG_CONFIG_LIBDIR="$pc" \
    swift build --scratch-path "$OUT/build" --target MySQLClient
echo "oracle-client-check: the MySQL layer compiles against $version"
