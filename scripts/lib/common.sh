# Shared by scripts/with-postgres.sh and scripts/with-services.sh (sourced,
# not run): messages, free ports, package installs, waiting with a deadline,
# and stopping the processes we started.

# The prefix of every message; the sourcing script sets it.
SVC_WHO="${SVC_WHO:-services}"

svc_say() { echo "$SVC_WHO: $*" >&2; }

svc_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Seconds since the epoch with microseconds, for the start-up times we print.
svc_now() { echo "${EPOCHREALTIME:-$(date +%s.%N)}"; }

# Seconds since $1 (from svc_now), one decimal.
svc_since() { awk -v a="$1" -v b="$(svc_now)" 'BEGIN { printf "%.1f", b - a }'; }

# A loopback port that nothing listens on, in 20000-32767: below Linux's
# ephemeral range (32768-60999), so no outgoing connection's source port can
# take it between our check and the server's bind. The check is racy by
# nature (another developer's suite may take the port first): every caller
# retries the start on a new port when the bind fails. The pid is mixed in
# because subshells started together share $RANDOM's sequence.
svc_free_port() {
    local port _
    for _ in $(seq 1 200); do
        port=$((20000 + (RANDOM * 32768 + RANDOM + ${BASHPID:-$$} * 7919) % 12768))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    svc_say "no free loopback port in 20000-32767"
    return 1
}

# Runs CMD... until it succeeds (polling every 50 ms); fails when SECONDS
# pass or, at once, when the process whose pid is in PIDFILE has exited:
#   svc_wait_ready "$dir/pid" 30 pg_isready -q -h 127.0.0.1 -p 5432
svc_wait_ready() {
    local pidfile="$1" seconds="$2"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)) || ! svc_alive "$(cat "$pidfile")"; then
            return 1
        fi
        sleep 0.05
    done
}

# Installs Debian packages (as root, with apt-get update first), without
# letting their maintainer scripts start the system services: installing
# mariadb-server or pgbouncer would otherwise start the machine's own server
# on its default port. A policy-rc.d that already exists (Docker images ship
# one) is left as it is; one we add is removed afterwards.
svc_apt_install() {
    if ! svc_is_root; then
        svc_say "missing Debian packages: $*"
        svc_say "install them with 'sudo apt-get install -y $*', or set the variables of the services they provide"
        return 1
    fi
    local policy=/usr/sbin/policy-rc.d added="" status=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# Added by the migrate test scripts while they install packages.\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        added=1
    fi
    svc_say "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # Another apt-get (another developer's script) may hold the lock: wait.
    local apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
    { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "$@"; } >&2 || status=$?
    if [[ -n "$added" ]]; then
        rm -f "$policy"
    fi
    return "$status"
}

# The user a server runs as when we are root (servers refuse to run as
# root): created as a system user when missing. Without root, servers run as
# ourselves.
svc_ensure_user() {
    local user="$1" home="$2"
    if ! svc_is_root; then
        return 0
    fi
    if ! id "$user" >/dev/null 2>&1; then
        useradd --system --home-dir "$home" --shell /usr/sbin/nologin "$user"
    fi
}

# Runs CMD... as USER when we are root, as ourselves otherwise. From `/`:
# the server user may not be allowed into the current folder.
svc_as() {
    local user="$1"
    shift
    if svc_is_root; then
        (cd / && exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$@")
    else
        (cd / && exec "$@")
    fi
}

# Starts CMD... in the background as USER (see svc_as), output to LOG, and
# writes its pid to PIDFILE. The subshell, setpriv and the command all exec
# in place, so `$!` is the server's own pid.
svc_spawn() {
    local pidfile="$1" log="$2" user="$3"
    shift 3
    (
        cd /
        if svc_is_root; then
            exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
        fi
        exec "$@"
    ) </dev/null >"$log" 2>&1 &
    echo "$!" >"$pidfile"
    # No "Killed" line from bash when the cleanup stops it.
    disown "$!"
}

# True while process PID runs (a zombie, dead but not yet reaped, does not).
svc_alive() {
    [[ -e "/proc/$1" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Gives a folder to the server user `user` (when we are root).
svc_give() {
    local user="$1"
    shift
    if svc_is_root; then
        chown -R "$user:" "$@"
    fi
}

# Stops the process whose pid is in FILE with SIGNAL (default TERM; KILL
# after 15 s), but only when its command line names MARK (our temp folder):
# a pid left in a file may have been reused.
svc_stop_pid_file() {
    local file="$1" mark="$2" signal="${3:-TERM}" pid
    [[ -s "$file" ]] || return 0
    pid="$(cat "$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark"; then
        return 0
    fi
    kill "-$signal" "$pid" 2>/dev/null || return 0
    local deadline=$((SECONDS + 15))
    while svc_alive "$pid"; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
}
