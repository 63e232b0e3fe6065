#!/usr/bin/env bash
# Runs CMD ARGS... with MIGRATE_TEST_POSTGRES_URL pointing at a PostgreSQL
# server, e.g.  scripts/with-postgres.sh cargo test --test integration driver
#
# When MIGRATE_TEST_POSTGRES_URL is already set, CMD just runs. Otherwise a
# throw-away cluster is started on a free loopback port below 32768 (Debian's
# server binaries, installed with apt-get when missing and we are root), with
# durability off for speed, and it is stopped and deleted when CMD ends.
# The exit code is CMD's. scripts/with-services.sh starts this same primary
# and the other servers the tests use (a standby, PgBouncer, MariaDB).
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi
if [[ -n "${MIGRATE_TEST_POSTGRES_URL:-}" ]]; then
    exec "$@"
fi

SVC_WHO=with-postgres
lib="$(cd "$(dirname "$0")" && pwd)/lib"
source "$lib/common.sh"
source "$lib/postgres.sh"

PG_BINDIR="$(pg_find_bindir)"
if [[ -z "$PG_BINDIR" ]]; then
    svc_apt_install postgresql || exit 1
    PG_BINDIR="$(pg_find_bindir)"
    if [[ -z "$PG_BINDIR" ]]; then
        svc_say "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql"
        exit 1
    fi
fi
svc_ensure_user "$PG_USER" /var/lib/postgresql

dir="$(mktemp -d "${TMPDIR:-/tmp}/migrate-pg.XXXXXX")"
cleanup() {
    pg_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_start_primary "$dir" || {
    svc_say "could not start PostgreSQL"
    exit 1
}

MIGRATE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
export MIGRATE_TEST_POSTGRES_URL
svc_say "PostgreSQL $(pg_version) at $MIGRATE_TEST_POSTGRES_URL"
set +e
"$@"
status=$?
set -e
exit "$status"
