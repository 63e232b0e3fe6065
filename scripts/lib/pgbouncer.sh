# A throw-away PgBouncer in transaction mode in front of a PostgreSQL
# server (sourced after common.sh and postgres.sh), set up as the pooled URLs
# of hosted platforms behave: a server connection is lent to a client for
# one transaction only, so session state (named prepared statements, session
# advisory locks, SET) does not follow the client.

PGBOUNCER_BIN=/usr/sbin/pgbouncer

# Starts PgBouncer in DIR (an empty folder) in front of the server at URL
# (postgres://USER[:PASSWORD]@HOST[:PORT]/DB), on a free loopback port.
# Writes DIR/port; DIR/pid holds the process.
pgbouncer_start() {
    local dir="$1" url="$2"
    local re='^postgres(ql)?://([^:@/]+)(:([^@/]*))?@([^:/?]+)(:([0-9]+))?(/|$)'
    if [[ ! "$url" =~ $re ]]; then
        svc_say "PgBouncer: cannot read user, host and port from the PostgreSQL URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DB)"
        return 1
    fi
    local user="${BASH_REMATCH[2]}" password="${BASH_REMATCH[4]}"
    local host="${BASH_REMATCH[5]}" server_port="${BASH_REMATCH[7]:-5432}"

    chmod 700 "$dir"
    # Clients are trusted, as the test server trusts them. The one user in the
    # file (with the URL's password, for PgBouncer's own server logins) runs
    # auth_query: every other role is looked up on the server, so a test can
    # create a role and connect as it through the pooler.
    printf '"%s" "%s"\n' "$user" "$password" >"$dir/users.txt"

    local attempt port
    for attempt in 1 2 3; do
        port="$(svc_free_port)"
        cat >"$dir/pgbouncer.ini" <<EOF
; Written by scripts/lib/pgbouncer.sh for one test run.
[databases]
; Every database name (each test makes its own) goes to the same server.
* = host=$host port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/users.txt
auth_user = $user
admin_users = $user
stats_users = $user
pool_mode = transaction
; Tests run up to 32 clients at once against one database, each of which may
; hold a server connection while it waits for a lock: a smaller pool would
; queue them behind each other instead.
default_pool_size = 64
max_client_conn = 1000
; Sent at start-up by sqlx (extra_float_digits) and by tokio-postgres and
; libpq when configured (options): PgBouncer refuses unknown parameters.
ignore_startup_parameters = extra_float_digits, options
; A database a test has just created must not be refused for 15 s (the
; default) after a login to it failed.
server_login_retry = 1
; Server connections to a test's database are not kept after it is done.
server_idle_timeout = 10
EOF
        svc_give "$PG_USER" "$dir"
        svc_spawn "$dir/pid" "$dir/pgbouncer.log" "$PG_USER" "$PGBOUNCER_BIN" "$dir/pgbouncer.ini"
        if svc_wait_ready "$dir/pid" 20 "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -d pgbouncer -U "$user"; then
            echo "$port" >"$dir/port"
            return 0
        fi
        svc_say "PgBouncer did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/pgbouncer.log" >&2 || true
        svc_stop_pid_file "$dir/pid" "$dir"
    done
    return 1
}

# PgBouncer's version, e.g. 1.18.0.
pgbouncer_version() {
    "$PGBOUNCER_BIN" --version | awk 'NR == 1 {print $2}'
}
