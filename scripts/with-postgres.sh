#!/usr/bin/env bash
# Runs CMD ARGS... with MIGRATE_TEST_POSTGRES_URL pointing at a PostgreSQL
# server, e.g.  scripts/with-postgres.sh cargo test --test integration driver
#
# When MIGRATE_TEST_POSTGRES_URL is already set, CMD just runs. Otherwise a
# throw-away cluster is started on a free loopback port (Debian's server
# binaries, installed with apt-get when missing and we are root), with
# durability off for speed, and it is stopped and deleted when CMD ends.
# The exit code is CMD's.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi
if [[ -n "${MIGRATE_TEST_POSTGRES_URL:-}" ]]; then
    exec "$@"
fi

say() { echo "with-postgres: $*" >&2; }

# The newest /usr/lib/postgresql/<version>/bin that has initdb (sort -V: 10 after 9).
find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 0
}

bindir="$(find_bindir)"
if [[ -z "$bindir" ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        say "no PostgreSQL server under /usr/lib/postgresql/*/bin, and not root to install it."
        say "install it with 'sudo apt-get install -y postgresql', or set MIGRATE_TEST_POSTGRES_URL"
        say "to an admin URL such as postgres://postgres@127.0.0.1:5432/postgres"
        exit 1
    fi
    say "installing PostgreSQL with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bindir="$(find_bindir)"
    if [[ -z "$bindir" ]]; then
        say "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql"
        exit 1
    fi
fi

# initdb refuses to run as root: run the server as `postgres` then.
as_owner=()
if [[ "$(id -u)" -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as_owner=(runuser -u postgres --)
fi

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local port
    for port in $(seq 54320 54999); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    return 1
}

dir="$(mktemp -d /tmp/migrate-pg.XXXXXX)"
data="$dir/data"
started=""
cleanup() {
    if [[ -n "$started" ]]; then
        (cd / && "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

chmod 700 "$dir"
if [[ ${#as_owner[@]} -gt 0 ]]; then
    chown postgres: "$dir"
fi
# `cd /`: the server user may not be allowed into the current folder.
(cd / && "${as_owner[@]}" "$bindir/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1) || {
    cat "$dir/initdb.log" >&2
    say "initdb failed"
    exit 1
}

for attempt in 1 2 3; do
    port="$(free_port)"
    opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    opts="$opts -p $port -k $dir -c listen_addresses=127.0.0.1"
    if (cd / && "${as_owner[@]}" "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null); then
        started=1
        break
    fi
    say "start on port $port failed (attempt $attempt)"
    tail -n 5 "$dir/server.log" >&2 || true
done
if [[ -z "$started" ]]; then
    say "could not start PostgreSQL"
    exit 1
fi

for _ in $(seq 1 100); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
done
"$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || {
    say "PostgreSQL on port $port is not ready"
    exit 1
}

export MIGRATE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
say "PostgreSQL $("$bindir/postgres" --version | awk '{print $NF}') at $MIGRATE_TEST_POSTGRES_URL"
set +e
"$@"
status=$?
set -e
exit "$status"
