#!/usr/bin/env bash
# Runs CMD ARGS... with every server the tests use, e.g.
#   scripts/with-services.sh cargo test --test integration topology
#
#   MIGRATE_TEST_POSTGRES_URL   a PostgreSQL primary (trust auth, replication allowed)
#   MIGRATE_TEST_STANDBY_URL    a hot standby streaming from it (pg_basebackup -R)
#   MIGRATE_TEST_PGBOUNCER_URL  PgBouncer in transaction mode in front of the primary;
#                               every database name is passed through to it
#   MIGRATE_TEST_MYSQL_URL      a MariaDB server, mysql://USER:PASSWORD@127.0.0.1:PORT/
#
# A variable that is already set is used as it is; the others are started
# here: Debian's packages, installed with apt-get when missing (as root),
# servers on free loopback ports below 32768 in one temp folder, run as the
# `postgres` and `mysql` users when we are root, and stopped and deleted when
# CMD ends, whatever way it ends. Nothing touches the machine's own services.
# MariaDB starts while the primary does, the standby and PgBouncer once the
# primary is up. One line per service says what runs where. The exit code is
# CMD's (1 when a server could not start).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

want() { [[ -z "${!1:-}" ]]; }
if ! want MIGRATE_TEST_POSTGRES_URL && ! want MIGRATE_TEST_STANDBY_URL &&
    ! want MIGRATE_TEST_PGBOUNCER_URL && ! want MIGRATE_TEST_MYSQL_URL; then
    exec "$@"
fi

SVC_WHO=with-services
lib="$(cd "$(dirname "$0")" && pwd)/lib"
source "$lib/common.sh"
source "$lib/postgres.sh"
source "$lib/pgbouncer.sh"
source "$lib/mariadb.sh"

started_at="$(svc_now)"

# Everything missing in one apt-get run: each run costs an `update`.
packages=()
PG_BINDIR="$(pg_find_bindir)"
# The standby needs the server binaries, PgBouncer pg_isready.
if [[ -z "$PG_BINDIR" ]] && { want MIGRATE_TEST_POSTGRES_URL || want MIGRATE_TEST_STANDBY_URL ||
    want MIGRATE_TEST_PGBOUNCER_URL; }; then
    packages+=(postgresql)
fi
if want MIGRATE_TEST_PGBOUNCER_URL && [[ ! -x "$PGBOUNCER_BIN" ]]; then
    packages+=(pgbouncer)
fi
if want MIGRATE_TEST_MYSQL_URL && ! mariadb_installed; then
    packages+=(mariadb-server)
fi
if [[ ${#packages[@]} -gt 0 ]]; then
    svc_apt_install "${packages[@]}" || exit 1
    PG_BINDIR="$(pg_find_bindir)"
fi
svc_ensure_user "$PG_USER" /var/lib/postgresql
svc_ensure_user "$MARIADB_USER" /nonexistent
installed_at="$(svc_now)"

root="$(mktemp -d "${TMPDIR:-/tmp}/migrate-services.XXXXXX")"
# The server users only pass through; each server's folder is its own.
chmod 711 "$root"
starters=()
cleanup() {
    # A server still starting (an interrupt during start-up) is waited for,
    # so that none is left running behind us: each start has a deadline.
    local pid
    for pid in "${starters[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    svc_stop_pid_file "$root/pgbouncer/pid" "$root/pgbouncer" &
    # Its data is thrown away: no need for the clean shutdown TERM asks for
    # (2 s), as PostgreSQL's `immediate` mode needs none.
    svc_stop_pid_file "$root/mariadb/pid" "$root/mariadb" KILL &
    pg_stop "$root/standby" &
    wait
    pg_stop "$root/primary"
    rm -rf "$root"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a service in the background: FUNCTION DIR ARGS...; its output goes
# to DIR.log, its success is DIR/port.
start_in_background() {
    local fn="$1" dir="$2"
    shift 2
    mkdir "$dir"
    "$fn" "$dir" "$@" >"$dir.log" 2>&1 &
    starters+=("$!")
}

# Waits for a background start; on failure shows its output and exits.
finish() {
    local pid="$1" dir="$2" what="$3"
    if ! wait "$pid" || [[ ! -s "$dir/port" ]]; then
        cat "$dir.log" >&2
        svc_say "could not start $what (its files: $dir)"
        exit 1
    fi
}

mariadb_password=""
if want MIGRATE_TEST_MYSQL_URL; then
    # A fresh password per run: nothing fixed to leak, nothing to URL-encode.
    mariadb_password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    start_in_background mariadb_start "$root/mariadb" migrate "$mariadb_password"
    mariadb_pid="${starters[-1]}"
fi

own_primary=""
if want MIGRATE_TEST_POSTGRES_URL; then
    mkdir "$root/primary"
    pg_start_primary "$root/primary" || {
        svc_say "could not start PostgreSQL (its files: $root/primary)"
        exit 1
    }
    MIGRATE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$(cat "$root/primary/port")/postgres"
    export MIGRATE_TEST_POSTGRES_URL
    own_primary=1
    svc_say "PostgreSQL $(pg_version) primary at $MIGRATE_TEST_POSTGRES_URL"
else
    svc_say "PostgreSQL primary: given in MIGRATE_TEST_POSTGRES_URL"
fi

if want MIGRATE_TEST_STANDBY_URL; then
    # A slot only on a primary of our own: see pg_start_standby.
    start_in_background pg_start_standby "$root/standby" "$MIGRATE_TEST_POSTGRES_URL" \
        "${own_primary:+migrate_test_standby}"
    standby_pid="${starters[-1]}"
fi

if want MIGRATE_TEST_PGBOUNCER_URL; then
    mkdir "$root/pgbouncer"
    pgbouncer_start "$root/pgbouncer" "$MIGRATE_TEST_POSTGRES_URL" || {
        svc_say "could not start PgBouncer (its files: $root/pgbouncer)"
        exit 1
    }
    MIGRATE_TEST_PGBOUNCER_URL="postgres://postgres@127.0.0.1:$(cat "$root/pgbouncer/port")/postgres"
    export MIGRATE_TEST_PGBOUNCER_URL
    svc_say "PgBouncer $(pgbouncer_version) (pool_mode transaction) at $MIGRATE_TEST_PGBOUNCER_URL"
else
    svc_say "PgBouncer: given in MIGRATE_TEST_PGBOUNCER_URL"
fi

if want MIGRATE_TEST_STANDBY_URL; then
    finish "$standby_pid" "$root/standby" "the PostgreSQL standby"
    MIGRATE_TEST_STANDBY_URL="postgres://postgres@127.0.0.1:$(cat "$root/standby/port")/postgres"
    export MIGRATE_TEST_STANDBY_URL
    svc_say "PostgreSQL $(pg_version) hot standby at $MIGRATE_TEST_STANDBY_URL"
else
    svc_say "PostgreSQL standby: given in MIGRATE_TEST_STANDBY_URL"
fi

if want MIGRATE_TEST_MYSQL_URL; then
    finish "$mariadb_pid" "$root/mariadb" "MariaDB"
    port="$(cat "$root/mariadb/port")"
    export MIGRATE_TEST_MYSQL_URL="mysql://migrate:$mariadb_password@127.0.0.1:$port/"
    svc_say "MariaDB $(mariadb_version) at mysql://migrate:(random password)@127.0.0.1:$port/"
else
    svc_say "MariaDB: given in MIGRATE_TEST_MYSQL_URL"
fi

install_note=""
if [[ ${#packages[@]} -gt 0 ]]; then
    install_note=", after $(awk -v a="$started_at" -v b="$installed_at" 'BEGIN { printf "%.1f", b - a }') s of apt-get"
fi
svc_say "servers up in $(svc_since "$installed_at") s$install_note; their files are under $root"
set +e
"$@"
status=$?
set -e
exit "$status"
