# A throw-away MariaDB server for the tests (sourced after common.sh):
# Debian's mariadbd on a data folder of its own made by mariadb-install-db,
# run by the `mysql` user when we are root, never the machine's own service.
# Tests log in over TCP as a user with a password, as applications do.

MARIADB_USER=mysql

# mariadbd is in /usr/sbin, which a user's PATH may lack.
mariadb_server_bin() {
    command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd
}

# True when the server and its tools are installed.
mariadb_installed() {
    [[ -x "$(mariadb_server_bin)" ]] && command -v mariadb-install-db >/dev/null 2>&1 &&
        command -v mariadb >/dev/null 2>&1
}

# Runs the `mariadb` client as the server's administrator, over the socket
# in DIR: root, whom mariadb-install-db lets in by unix-socket
# authentication when the OS user is root too; otherwise ourselves.
mariadb_admin_sql() {
    local dir="$1" sql="$2" admin=root
    if ! svc_is_root; then
        admin="$(id -un)"
    fi
    mariadb --no-defaults --socket="$dir/mysqld.sock" -u "$admin" --batch --skip-column-names -e "$sql"
}

# Starts a server in DIR (an empty folder) on a free loopback port, with a
# user LOGIN identified by PASSWORD who may create and drop databases (and
# grant, so a test can make a user with fewer rights). Writes DIR/port;
# DIR/pid holds the process.
mariadb_start() {
    local dir="$1" login="$2" password="$3"
    local server_user="$MARIADB_USER"
    svc_is_root || server_user="$(id -un)"
    chmod 700 "$dir"
    mkdir "$dir/data"
    svc_give "$MARIADB_USER" "$dir"
    # --no-defaults everywhere: the machine's /etc/mysql must not apply.
    # 16 MB of redo log instead of 96 MB: the tests write little.
    local server_opts=(--innodb-log-file-size=16M)
    if ! svc_as "$server_user" mariadb-install-db --no-defaults --user="$server_user" --datadir="$dir/data" --skip-test-db \
        --auth-root-authentication-method=socket "${server_opts[@]}" >"$dir/install.log" 2>&1; then
        cat "$dir/install.log" >&2
        svc_say "mariadb-install-db failed in $dir"
        return 1
    fi
    # utf8mb4, as Debian's own configuration sets it (the compiled-in
    # default is latin1); durability off for speed, as for PostgreSQL.
    server_opts+=(--datadir="$dir/data" --socket="$dir/mysqld.sock" --tmpdir="$dir" --bind-address=127.0.0.1
        --skip-name-resolve --character-set-server=utf8mb4 --max-connections=300
        --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --sync-binlog=0)
    # A test's own server may add options (its TLS certificate): words of
    # MARIADB_EXTRA_OPTS, which hold no spaces.
    # shellcheck disable=SC2206
    server_opts+=(${MARIADB_EXTRA_OPTS:-})
    local attempt port
    for attempt in 1 2 3; do
        port="$(svc_free_port)"
        svc_spawn "$dir/pid" "$dir/server.log" "$server_user" \
            "$(mariadb_server_bin)" --no-defaults "${server_opts[@]}" --port="$port"
        # `ping` succeeds once the server answers, even before a login.
        if svc_wait_ready "$dir/pid" 60 mariadb-admin --no-defaults --socket="$dir/mysqld.sock" ping; then
            break
        fi
        svc_say "MariaDB did not start on port $port (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 || true
        svc_stop_pid_file "$dir/pid" "$dir"
        port=""
    done
    [[ -n "$port" ]] || return 1
    # The login is for 127.0.0.1 only: with --skip-name-resolve a TCP client
    # is known by its address, and the server listens nowhere else.
    if ! mariadb_admin_sql "$dir" "CREATE USER '$login'@'127.0.0.1' IDENTIFIED BY '$password';
        GRANT ALL PRIVILEGES ON *.* TO '$login'@'127.0.0.1' WITH GRANT OPTION;" >&2; then
        svc_say "could not create the MariaDB user $login"
        return 1
    fi
    echo "$port" >"$dir/port"
}

# The server's version, e.g. 10.11.19.
mariadb_version() {
    "$(mariadb_server_bin)" --version | sed -E 's/.*Ver ([0-9.]+).*/\1/'
}
