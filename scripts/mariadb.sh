#!/usr/bin/env bash
# Throwaway MariaDB for tests, the demo and benchmarks: loopback only, own data dir,
# own socket under /tmp, never touches the system server or other mariadbd processes.
#   scripts/mariadb.sh start|stop|restart|status|env
# Env: DINGSYNC_MARIADB_DIR (data dir, default <repo>/.build/mariadb),
#      DINGSYNC_MARIADB_PORT (preferred port, default 33306; another free one if taken),
#      DINGSYNC_MARIADB_SSL_CA, DINGSYNC_MARIADB_SSL_CERT, DINGSYNC_MARIADB_SSL_KEY (PEM files:
#      when all three are set the server offers TLS with them and refuses TCP clients that do
#      not use it, --require-secure-transport=ON; the socket stays usable for the admin).
set -euo pipefail

SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO="$(cd "$(dirname "$SCRIPT")/.." && pwd)"
DATADIR="${DINGSYNC_MARIADB_DIR:-$REPO/.build/mariadb}"
mkdir -p "$DATADIR"
DATADIR="$(cd "$DATADIR" && pwd)"
PREFERRED_PORT="${DINGSYNC_MARIADB_PORT:-33306}"
# Unix socket paths are limited to ~107 bytes and a CI checkout may be deep, so the
# socket lives in a short /tmp directory derived from the data dir.
SOCKDIR="/tmp/dingsync-mariadb-$(printf '%s' "$DATADIR" | sha256sum | cut -c1-12)"
SOCKET="$SOCKDIR/mariadbd.sock"
PIDFILE="$DATADIR/mariadbd.pid"
PORTFILE="$DATADIR/port"
PASSFILE="$DATADIR/dingsync.password"
ENVFILE="$DATADIR/env.sh"
ERRLOG="$DATADIR/error.log"
START_TIMEOUT=60

die() { echo "mariadb.sh: $*" >&2; exit 1; }

need() {
    command -v "$1" >/dev/null 2>&1 ||
        die "'$1' not found; run scripts/install-deps.sh (needs mariadb-server)"
}

find_server() {
    local candidate
    for candidate in mariadbd /usr/sbin/mariadbd mysqld /usr/sbin/mysqld; do
        if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return; fi
    done
    die "mariadbd not found; run scripts/install-deps.sh (needs mariadb-server)"
}

# The pid from our pid file, only if that process is alive and is a server on OUR data
# dir (guards against a recycled pid belonging to something else).
our_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(tr -dc 0-9 <"$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--datadir=$DATADIR " || return 1
    echo "$pid"
}

port_free() {
    local port="$1"
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$port" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
# Like mariadbd itself: TIME_WAIT leftovers of a killed server must not count as taken.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
    else
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

choose_port() {
    local port
    if [[ -f "$PORTFILE" ]]; then
        port="$(tr -dc 0-9 <"$PORTFILE")"
        if [[ -n "$port" ]] && port_free "$port"; then echo "$port"; return; fi
    fi
    for ((port = PREFERRED_PORT; port < PREFERRED_PORT + 200; port++)); do
        if port_free "$port"; then echo "$port"; return; fi
    done
    die "no free TCP port in $PREFERRED_PORT..$((PREFERRED_PORT + 199))"
}

admin_user() { id -un; }

# Runs SQL as the OS user through socket authentication (root@localhost, or the
# invoking user when not root: mariadb-install-db creates both).
admin_sql() {
    mariadb --no-defaults --protocol=SOCKET --socket="$SOCKET" -u "$(admin_user)" -N -B -e "$1"
}

install_db() {
    [[ -d "$DATADIR/mysql" ]] && return 0
    need mariadb-install-db
    local args=(--no-defaults --datadir="$DATADIR" --auth-root-authentication-method=socket
                --skip-test-db --skip-name-resolve)
    if [[ "$(id -u)" == 0 ]]; then args+=(--user=root); fi
    if ! mariadb-install-db "${args[@]}" >"$DATADIR/install.log" 2>&1; then
        tail -n 30 "$DATADIR/install.log" >&2
        die "mariadb-install-db failed (log: $DATADIR/install.log)"
    fi
}

launch() {
    local server port="$1"
    server="$(find_server)"
    mkdir -p "$SOCKDIR"
    local args=(--no-defaults --datadir="$DATADIR" --socket="$SOCKET" --port="$port"
                --bind-address=127.0.0.1 --pid-file="$PIDFILE" --log-error="$ERRLOG" --tmpdir="$SOCKDIR"
                --skip-name-resolve --skip-log-bin --innodb-buffer-pool-size=256M
                --max-connections=500 --max-allowed-packet=256M)
    if [[ "$(id -u)" == 0 ]]; then args+=(--user=root); fi
    if [[ -n "${DINGSYNC_MARIADB_SSL_CA:-}${DINGSYNC_MARIADB_SSL_CERT:-}${DINGSYNC_MARIADB_SSL_KEY:-}" ]]; then
        local f
        for f in "${DINGSYNC_MARIADB_SSL_CA:-}" "${DINGSYNC_MARIADB_SSL_CERT:-}" "${DINGSYNC_MARIADB_SSL_KEY:-}"; do
            [[ -r "$f" ]] || die "TLS needs DINGSYNC_MARIADB_SSL_CA, _CERT and _KEY as readable files ('$f' is not)"
        done
        args+=(--ssl-ca="$DINGSYNC_MARIADB_SSL_CA" --ssl-cert="$DINGSYNC_MARIADB_SSL_CERT"
               --ssl-key="$DINGSYNC_MARIADB_SSL_KEY" --require-secure-transport=ON)
    fi
    rm -f "$PIDFILE"
    # setsid + nohup: the server must outlive this script and its terminal. Every
    # inherited descriptor above 2 is closed first: a caller that waits for EOF on a
    # pipe or socket it gave us (Foundation's Process does) would otherwise hang for
    # as long as the server lives.
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd="${fd##*/}"
            ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
        done
        exec setsid nohup "$server" "${args[@]}" </dev/null >>"$ERRLOG" 2>&1
    ) &
    local launched=$!
    local waited=0
    while ((waited < START_TIMEOUT * 5)); do
        if mariadb-admin --no-defaults --protocol=SOCKET --socket="$SOCKET" -u "$(admin_user)" \
            ping >/dev/null 2>&1 && our_pid >/dev/null; then
            echo "$port" >"$PORTFILE"
            return 0
        fi
        if ! kill -0 "$launched" 2>/dev/null; then
            if tail -n 20 "$ERRLOG" | grep -qiE "address already in use|bind on tcp/ip port"; then
                return 2
            fi
            break
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "mariadb.sh: server did not become ready within ${START_TIMEOUT}s; last lines of $ERRLOG:" >&2
    tail -n 30 "$ERRLOG" >&2 || true
    kill -9 "$launched" 2>/dev/null || true
    exit 1
}

ensure_user() {
    local password
    if [[ ! -s "$PASSFILE" ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$PASSFILE")
    fi
    password="$(cat "$PASSFILE")"
    local host sql=""
    for host in localhost 127.0.0.1; do
        sql+="CREATE USER IF NOT EXISTS 'dingsync'@'$host' IDENTIFIED BY '$password';"
        sql+="ALTER USER 'dingsync'@'$host' IDENTIFIED BY '$password';"
        sql+="GRANT ALL PRIVILEGES ON *.* TO 'dingsync'@'$host';"
    done
    admin_sql "$sql" || die "could not create the dingsync user"
}

write_env() {
    local port
    port="$(cat "$PORTFILE")"
    {
        printf 'export DINGSYNC_TEST_MYSQL_SOCKET=%q\n' "$SOCKET"
        printf 'export DINGSYNC_TEST_MYSQL_HOST=127.0.0.1\n'
        printf 'export DINGSYNC_TEST_MYSQL_PORT=%q\n' "$port"
        printf 'export DINGSYNC_TEST_MYSQL_USER=dingsync\n'
        printf 'export DINGSYNC_TEST_MYSQL_PASSWORD=%q\n' "$(cat "$PASSFILE")"
        printf 'export DINGSYNC_TEST_MARIADB_PIDFILE=%q\n' "$PIDFILE"
        printf 'export DINGSYNC_TEST_MARIADB_SCRIPT=%q\n' "$SCRIPT"
    } >"$ENVFILE.tmp"
    chmod 600 "$ENVFILE.tmp"
    mv "$ENVFILE.tmp" "$ENVFILE"
}

cmd_start() {
    need mariadb
    need mariadb-admin
    if ! our_pid >/dev/null; then
        install_db
        local attempt rc
        for attempt in 1 2 3; do
            rc=0
            launch "$(choose_port)" || rc=$?
            [[ $rc == 0 ]] && break
            rm -f "$PORTFILE"  # the port was grabbed between probe and bind: pick another
            [[ $attempt == 3 ]] && die "could not bind a TCP port after 3 attempts; see $ERRLOG"
        done
    fi
    ensure_user
    write_env
    echo "mariadb.sh: running (pid $(our_pid), port $(cat "$PORTFILE"), socket $SOCKET)" >&2
}

wait_gone() {
    local pid="$1" tries="$2"
    while ((tries-- > 0)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    return 1
}

cmd_stop() {
    local pid
    if pid="$(our_pid)"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_gone "$pid" 150; then
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$pid" 50 || die "pid $pid did not exit"
        fi
        echo "mariadb.sh: stopped (pid $pid)" >&2
    else
        echo "mariadb.sh: not running" >&2
    fi
    rm -f "$PIDFILE"
    rm -rf "$SOCKDIR"  # ours alone: named after the hash of our data dir
}

# Simulates a crash for fault tests: no clean shutdown, same data dir, same port if free.
cmd_restart() {
    local pid
    if pid="$(our_pid)"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 150 || die "pid $pid did not exit after SIGKILL"
    fi
    cmd_start
}

cmd_status() {
    local pid
    if pid="$(our_pid)"; then
        echo "running pid=$pid port=$(cat "$PORTFILE" 2>/dev/null) socket=$SOCKET datadir=$DATADIR"
    else
        echo "not running (datadir=$DATADIR)"
        return 1
    fi
}

cmd_env() {
    [[ -f "$ENVFILE" ]] || die "no $ENVFILE yet; run: scripts/mariadb.sh start"
    cat "$ENVFILE"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) echo "usage: $0 start|stop|restart|status|env" >&2; exit 2 ;;
esac
