# Throw-away PostgreSQL clusters for the tests (sourced after common.sh): a
# primary that allows streaming replication, and a hot standby made from any
# primary by pg_basebackup. Each lives in a folder of its own (DIR/data, its
# log, its socket) and is run by the `postgres` user when we are root.

PG_USER=postgres

# Durability off: a test server loses nothing it needs in a crash.
PG_FAST_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

# The newest /usr/lib/postgresql/<version>/bin that has initdb (sort -V: 10
# after 9); empty when there is none.
pg_find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 0
}

# Starts the cluster in DIR/data with server OPTS on a free loopback port
# (three ports tried: another program may take ours between the check and
# the bind). Writes the port to DIR/port.
pg_start() {
    local dir="$1" opts="$2" attempt port
    for attempt in 1 2 3; do
        port="$(svc_free_port)"
        if svc_as "$PG_USER" "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -o "$opts -p $port -k $dir -c listen_addresses=127.0.0.1" -w -t 60 start >/dev/null; then
            # pg_ctl -w trusts the server's own word: check it is where we
            # asked (a newline in OPTS would silently cut them short).
            if "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port"; then
                echo "$port" >"$dir/port"
                return 0
            fi
            pg_stop "$dir"
        fi
        svc_say "PostgreSQL in $dir did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 || true
    done
    return 1
}

# Stops the cluster in DIR/data, if one runs there.
pg_stop() {
    local dir="$1"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        svc_as "$PG_USER" "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

# Prepares DIR (an empty folder) for a cluster of the server user.
pg_own_dir() {
    chmod 700 "$1"
    svc_give "$PG_USER" "$1"
}

# A new primary in DIR: trust authentication on loopback (initdb's pg_hba
# also trusts replication connections from 127.0.0.1, which the standby
# uses), WAL for streaming replication, and room for the tests' many
# concurrent sessions. Writes DIR/port.
pg_start_primary() {
    local dir="$1"
    pg_own_dir "$dir"
    if ! svc_as "$PG_USER" "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale --no-sync \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        svc_say "initdb failed in $dir"
        return 1
    fi
    pg_start "$dir" "$PG_FAST_OPTS -c max_connections=300 -c wal_level=replica -c max_wal_senders=10"
}

# A hot standby in DIR of the primary at URL: `pg_basebackup -R` (which
# writes standby.signal and the primary's connection string), then started
# read-only. SLOT, when not empty, is a replication slot created on the
# primary for it, so the primary keeps every WAL segment the standby has not
# received; give one only for a primary that is thrown away with it, since a
# slot left behind on a kept server holds its WAL forever. Writes DIR/port.
pg_start_standby() {
    local dir="$1" primary="$2" slot="$3"
    pg_own_dir "$dir"
    local slot_args=()
    if [[ -n "$slot" ]]; then
        slot_args=(--create-slot "--slot=$slot")
    fi
    # A fast checkpoint: the default spreads it over minutes.
    if ! svc_as "$PG_USER" "$PG_BINDIR/pg_basebackup" -d "$primary" -D "$dir/data" -R -X stream \
        --checkpoint=fast "${slot_args[@]}" >"$dir/basebackup.log" 2>&1; then
        cat "$dir/basebackup.log" >&2
        svc_say "pg_basebackup of the primary failed (it must allow replication connections from 127.0.0.1)"
        return 1
    fi
    # A hot standby refuses to start with less of these than its primary.
    local limits
    limits="$("$PG_BINDIR/psql" -X -A -t -d "$primary" -c "SELECT string_agg('-c ' || name || '=' || setting, ' ')
        FROM pg_settings WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
        'max_prepared_transactions', 'max_locks_per_transaction')")" || return 1
    # Feedback keeps the primary from vacuuming rows a standby query still
    # reads, so a test's read on the standby is not cancelled by a conflict.
    # A standby frees replayed WAL only at its restartpoints, which by
    # default wait for 1 GB of it (each test database is ~4 MB of WAL):
    # frequent ones keep its folder near 100 MB instead.
    local wal="-c max_wal_size=64MB -c min_wal_size=32MB -c checkpoint_timeout=30s"
    pg_start "$dir" "$PG_FAST_OPTS $limits -c hot_standby=on -c hot_standby_feedback=on $wal"
}

# The server's version, e.g. 15.18.
pg_version() {
    "$PG_BINDIR/postgres" --version | awk '{print $3}'
}
