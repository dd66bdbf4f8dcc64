# shellcheck shell=bash
# IOC shell helpers: source this file and call the functions; do not run it.
#
#   source scripts/lib.sh
#   ioc_ensure_packages
#   ioc_pg_start  DIR PORT          -> sets IOC_PG_URL   (postgres://ioc:PASS@127.0.0.1:PORT/ioc)
#   ioc_mqtt_start DIR PORT GW...   -> sets IOC_MQTT_URL (mqtt://ioc:PASS@127.0.0.1:PORT)
#   ...
#   ioc_mqtt_stop DIR; ioc_pg_stop DIR
#
# Public functions:
#   ioc_ensure_packages                   apt-get install whatever of the needed packages is missing
#   ioc_free_port                         print a free TCP port on 127.0.0.1
#   ioc_port_is_free PORT                 status 0 if nothing listens on 127.0.0.1:PORT
#   ioc_pg_start DIR [PORT]               init (first time) and start PostgreSQL; PORT defaults to
#                                         the one DIR last used. Sets IOC_PG_URL, IOC_PG_PORT.
#   ioc_pg_stop DIR [fast|immediate|smart] stop it (immediate = crash-like, WAL recovery at next start)
#   ioc_pg_restart DIR                    stop and start again on the same port
#   ioc_pg_running DIR                    status 0 if the server of DIR runs
#   ioc_pg_url DIR                        print the connection URL
#   ioc_pg_psql DIR [psql args...]        psql as ioc to database ioc (unix socket, no password)
#   ioc_mqtt_start DIR [PORT] [GATEWAY...] write config, users and start Mosquitto; users are ioc
#                                         and every GATEWAY (and every user DIR already had), with
#                                         random passwords kept in DIR/credentials.json, accounts in
#                                         the dynamic-security plugin's DIR/dynamic-security.json
#                                         (deploy/mosquitto/dynsec-init.py). PORT empty
#                                         or "-" = the port DIR last used. Sets IOC_MQTT_URL,
#                                         IOC_MQTT_PORT, IOC_MQTT_CREDENTIALS.
#   ioc_mqtt_stop DIR                     stop it (SIGTERM: saves the persistence database)
#   ioc_mqtt_kill DIR                     SIGKILL it (crash: loses what arrived since the last autosave)
#   ioc_mqtt_restart DIR                  stop and start again, same port, users and persistence
#   ioc_mqtt_running DIR                  status 0 if the broker of DIR runs
#   ioc_mqtt_password DIR USER            print USER's password from DIR/credentials.json
#   ioc_mqtt_url DIR                      print the URL of the ioc account
#   ioc_stop_pid_file FILE [SECS] [MATCH] SIGTERM the pid in FILE, SIGKILL after SECS (default 30)
#
# From outside bash (e.g. a Swift test): scripts/svc.sh pg-stop DIR, scripts/svc.sh pg-start DIR.
#
# Functions print nothing but errors (on stderr) unless they exist to print something; they
# return non-zero on failure. They work with or without `set -e` in the caller. Nothing is
# exported. As root, PostgreSQL runs as the `postgres` system user and Mosquitto as `mosquitto`:
# their DIRs are chowned to them, and the parent directories get o+x (search only) if the service
# user could not reach DIR otherwise.
#
# Tunables (environment): IOC_PG_BINDIR (default: newest /usr/lib/postgresql/*/bin),
# IOC_PG_SHARED_BUFFERS (default 512MB), IOC_WAIT_SECONDS (start-up timeout, default 60).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "scripts/lib.sh is a library: source it (or use scripts/svc.sh)" >&2
    exit 2
fi
if [[ -n "${_IOC_LIB_LOADED:-}" ]]; then
    return 0
fi
_IOC_LIB_LOADED=1

IOC_LIB_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

_ioc_err() { printf 'ioc: %s\n' "$*" >&2; }

# --- packages ----------------------------------------------------------------------------------

_ioc_pg_bindir() {
    if [[ -n "${IOC_PG_BINDIR:-}" ]]; then
        [[ -x "$IOC_PG_BINDIR/initdb" ]] || { _ioc_err "IOC_PG_BINDIR=$IOC_PG_BINDIR has no initdb"; return 1; }
        printf '%s\n' "$IOC_PG_BINDIR"
        return 0
    fi
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        if [[ -z "$best" ]] || [[ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n 1)" == "$d" ]]; then
            best=$d
        fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

_ioc_mosquitto_bin() {
    local b
    for b in "$(command -v mosquitto 2>/dev/null)" /usr/sbin/mosquitto /usr/local/sbin/mosquitto; do
        [[ -n "$b" && -x "$b" ]] && { printf '%s\n' "$b"; return 0; }
    done
    return 1
}

ioc_ensure_packages() {
    local missing=()
    _ioc_pg_bindir >/dev/null 2>&1 || missing+=(postgresql)
    { _ioc_mosquitto_bin >/dev/null && command -v mosquitto_ctrl >/dev/null && _ioc_dynsec_plugin >/dev/null; } || missing+=(mosquitto)
    { command -v mosquitto_pub >/dev/null && command -v mosquitto_sub >/dev/null; } || missing+=(mosquitto-clients)
    [[ -f /usr/include/mosquitto.h ]] || missing+=(libmosquitto-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    [[ -f /usr/include/x86_64-linux-gnu/curl/curl.h || -f /usr/include/curl/curl.h ]] ||
        pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev)
    /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
    /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv) # schemathesis goes in a venv
    command -v wrk >/dev/null || missing+=(wrk) # the API benchmarks
    command -v curl >/dev/null || missing+=(curl)
    # The browser check of the wall displays (scripts/e2e/30-wall.sh), with a font that has every
    # Vietnamese glyph for its screenshot.
    command -v chromium >/dev/null || missing+=(chromium)
    [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
    command -v python3 >/dev/null || missing+=(python3)
    { command -v ps >/dev/null && command -v pgrep >/dev/null; } || missing+=(procps)
    ((${#missing[@]} == 0)) && return 0

    local sudo=()
    if ((EUID != 0)); then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        else
            _ioc_err "missing packages: ${missing[*]} (run as root or install them: apt-get install ${missing[*]})"
            return 1
        fi
    fi
    _ioc_err "installing missing packages: ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 ||
        { _ioc_err "apt-get update failed"; return 1; }
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >&2 ||
        { _ioc_err "apt-get install ${missing[*]} failed"; return 1; }
    _ioc_pg_bindir >/dev/null || { _ioc_err "PostgreSQL still not found after installing"; return 1; }
}

# --- small helpers -----------------------------------------------------------------------------

ioc_free_port() {
    python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

ioc_port_is_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Like the servers themselves (SO_REUSEADDR): connections in TIME_WAIT do not block a listener.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

# Status 0 once something accepts TCP connections on 127.0.0.1:PORT.
_ioc_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_ioc_random() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# A process that exists and is not a zombie.
_ioc_pid_alive() {
    local pid=$1 state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/stat" ]] || return 1
    state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ "$state" != Z && "$state" != X ]]
}

# Absolute path of DIR, created (with parents) when missing.
_ioc_abs() {
    mkdir -p "$1" && (cd "$1" && pwd -P)
}

# Absolute path of DIR, which need not exist (nothing is created).
_ioc_path() {
    if [[ -d "$1" ]]; then (cd "$1" && pwd -P); else realpath -m "$1"; fi
}

# As root: give DIR to USER and make sure USER can reach it (o+x on the ancestors it cannot search).
_ioc_hand_over() {
    local user=$1 dir=$2 d
    ((EUID == 0)) || return 0
    chown "$user:" "$dir" && chmod 700 "$dir" || return 1
    if ! runuser -u "$user" -- test -x "$dir"; then
        d=$(dirname "$dir")
        while [[ "$d" != / ]]; do
            if [[ "$(stat -c %A "$d")" != ?????????[xt]* ]]; then
                # others may not search d: allow search only (no listing)
                chmod o+x "$d" || return 1
            fi
            d=$(dirname "$d")
        done
        runuser -u "$user" -- test -x "$dir" ||
            { _ioc_err "user $user cannot reach $dir"; return 1; }
    fi
}

_ioc_wait_seconds() { printf '%s\n' "${IOC_WAIT_SECONDS:-60}"; }

# --- PostgreSQL --------------------------------------------------------------------------------

# Runs a command as the database owner: postgres when we are root, ourselves otherwise. From /,
# so that the postgres user never needs access to our working directory.
_ioc_pg_as_owner() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# The unix socket directory of DIR: DIR itself, unless its path is too long for a socket path
# (107 bytes on Linux, with "/.s.PGSQL.PORT.lock"): then a directory under /tmp named after DIR.
_ioc_pg_sockdir() {
    local dir=$1
    if ((${#dir} <= 85)); then
        printf '%s\n' "$dir"
    else
        printf '/tmp/ioc-pg-%s\n' "$(printf '%s' "$dir" | md5sum | cut -c1-16)"
    fi
}

ioc_pg_running() {
    local dir bindir
    dir=$(_ioc_path "${1:?usage: ioc_pg_running DIR}") || return 1
    [[ -f "$dir/pgdata/postmaster.pid" ]] || return 1
    bindir=$(_ioc_pg_bindir) || return 1
    _ioc_pg_as_owner "$bindir/pg_ctl" status -D "$dir/pgdata" >/dev/null 2>&1
}

ioc_pg_url() {
    local dir pass port
    dir=$(_ioc_path "${1:?usage: ioc_pg_url DIR}") || return 1
    pass=$(cat "$dir/pg-password") && port=$(cat "$dir/port") || return 1
    printf 'postgres://ioc:%s@127.0.0.1:%s/ioc\n' "$pass" "$port"
}

ioc_pg_psql() {
    local dir bindir port
    dir=$(_ioc_path "${1:?usage: ioc_pg_psql DIR [psql args]}") || return 1
    shift
    bindir=$(_ioc_pg_bindir) || return 1
    port=$(cat "$dir/port") || return 1
    PGCONNECT_TIMEOUT=10 "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$(_ioc_pg_sockdir "$dir")" -p "$port" -U ioc -d ioc "$@"
}

_ioc_pg_write_conf() {
    local dir=$1 port=$2 sock
    sock=$(_ioc_pg_sockdir "$dir")
    sock=${sock//\'/\'\'}
    cat >"$dir/pgdata/ioc.conf" <<EOF
# Written by scripts/lib.sh (ioc_pg_start) at every start; edits here are lost.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
max_connections = 200

# Memory, for a small (2-core) box that runs PostgreSQL, Mosquitto and the IOC together.
shared_buffers = ${IOC_PG_SHARED_BUFFERS:-512MB}
effective_cache_size = 2GB
work_mem = 16MB
maintenance_work_mem = 256MB
max_parallel_workers_per_gather = 1
jit = off

# Durability: a COMMIT returns only after its WAL is flushed, so a stored batch survives a crash.
fsync = on
synchronous_commit = on
full_page_writes = on
# Write speed: compress full-page images, checkpoint rarely (bulk inserts of readings).
wal_compression = on
max_wal_size = 4GB
min_wal_size = 512MB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
effective_io_concurrency = 200

timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 2000
log_parameter_max_length = 64
log_checkpoints = on
log_lock_waits = on
EOF
}

_ioc_pg_start_impl() {
    set -euo pipefail
    local dir=$1 port=$2 bindir pgdata out running_port
    bindir=$(_ioc_pg_bindir) || { _ioc_err "PostgreSQL not installed (run ioc_ensure_packages)"; return 1; }
    dir=$(_ioc_abs "$dir") || { _ioc_err "cannot create $1"; return 1; }
    pgdata=$dir/pgdata
    if [[ -z "$port" || "$port" == - ]]; then
        port=$(cat "$dir/port" 2>/dev/null) || { _ioc_err "ioc_pg_start: no PORT given and $dir/port missing"; return 1; }
    fi
    [[ "$port" =~ ^[0-9]+$ ]] || { _ioc_err "ioc_pg_start: bad port '$port'"; return 1; }
    _ioc_hand_over postgres "$dir" || return 1

    if ioc_pg_running "$dir"; then
        running_port=$(sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true)
        if [[ "$running_port" == "$port" ]]; then
            printf '%s\n' "$port" >"$dir/port"
            return 0
        fi
        ioc_pg_stop "$dir" || return 1
    fi
    if ! ioc_port_is_free "$port"; then
        _ioc_err "ioc_pg_start: port $port on 127.0.0.1 is in use"
        return 1
    fi

    if [[ ! -s "$pgdata/PG_VERSION" ]]; then
        rm -rf "$pgdata"
        if [[ ! -s "$dir/pg-password" ]]; then
            (umask 077 && _ioc_random >"$dir/pg-password")
        fi
        if ((EUID == 0)); then chown postgres: "$dir/pg-password"; fi
        # Superuser "ioc": local (unix socket) connections are trusted, TCP needs the password.
        if ! out=$(_ioc_pg_as_owner "$bindir/initdb" -D "$pgdata" -U ioc --pwfile="$dir/pg-password" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 2>&1); then
            printf '%s\n' "$out" >&2
            _ioc_err "initdb failed"
            return 1
        fi
        printf '%s\n' "$out" >"$dir/initdb.log"
        printf "\ninclude_if_exists = 'ioc.conf'\n" >>"$pgdata/postgresql.conf"
    fi
    local sockdir
    sockdir=$(_ioc_pg_sockdir "$dir")
    if [[ "$sockdir" != "$dir" ]]; then
        mkdir -p "$sockdir" && chmod 700 "$sockdir"
        if ((EUID == 0)); then chown postgres: "$sockdir"; fi
    fi
    _ioc_pg_write_conf "$dir" "$port"
    touch "$dir/postgresql.log"
    if ((EUID == 0)); then chown postgres: "$pgdata/ioc.conf" "$dir/postgresql.log"; fi

    if ! _ioc_pg_as_owner "$bindir/pg_ctl" -D "$pgdata" -l "$dir/postgresql.log" -w -t "$(_ioc_wait_seconds)" start >/dev/null; then
        _ioc_err "PostgreSQL did not start; end of $dir/postgresql.log:"
        tail -n 20 "$dir/postgresql.log" >&2
        return 1
    fi
    local i
    for ((i = 0; i < $(_ioc_wait_seconds) * 10; i++)); do
        "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.1
    done
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" || { _ioc_err "PostgreSQL on port $port is not ready"; return 1; }
    printf '%s\n' "$port" >"$dir/port"

    local has
    has=$(PGCONNECT_TIMEOUT=10 "$bindir/psql" -X -qAt -h "$sockdir" -p "$port" -U ioc -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = 'ioc'") || { _ioc_err "cannot query PostgreSQL"; return 1; }
    if [[ "$has" != 1 ]]; then
        PGCONNECT_TIMEOUT=10 "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U ioc -d postgres \
            -c "CREATE DATABASE ioc OWNER ioc" >/dev/null || { _ioc_err "cannot create database ioc"; return 1; }
    fi
}

ioc_pg_start() {
    local dir=${1:?usage: ioc_pg_start DIR [PORT]} port=${2:-}
    (_ioc_pg_start_impl "$dir" "$port") || return 1
    # shellcheck disable=SC2034 # results for the caller
    IOC_PG_URL=$(ioc_pg_url "$dir") || return 1
    # shellcheck disable=SC2034
    IOC_PG_PORT=$(cat "$(_ioc_path "$dir")/port") || return 1
}

ioc_pg_stop() {
    local dir mode=${2:-fast} bindir
    dir=$(_ioc_path "${1:?usage: ioc_pg_stop DIR [fast|immediate|smart]}") || return 1
    ioc_pg_running "$dir" || return 0
    bindir=$(_ioc_pg_bindir) || return 1
    _ioc_pg_as_owner "$bindir/pg_ctl" -D "$dir/pgdata" -m "$mode" -w -t "$(_ioc_wait_seconds)" stop >/dev/null ||
        { _ioc_err "PostgreSQL in $dir did not stop"; return 1; }
}

ioc_pg_restart() {
    local dir=${1:?usage: ioc_pg_restart DIR}
    ioc_pg_stop "$dir" && ioc_pg_start "$dir"
}

# --- Mosquitto ---------------------------------------------------------------------------------

# The dynamic-security plugin of Debian's mosquitto package.
_ioc_dynsec_plugin() {
    local f
    for f in /usr/lib/*/mosquitto_dynamic_security.so /usr/lib/mosquitto_dynamic_security.so /usr/local/lib/mosquitto_dynamic_security.so; do
        [[ -r "$f" ]] && { printf '%s\n' "$f"; return 0; }
    done
    return 1
}

_ioc_mqtt_pid() {
    local dir=$1 pid
    pid=$(cat "$dir/mosquitto.pid" 2>/dev/null) || return 1
    _ioc_pid_alive "$pid" || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mosquitto ]] || return 1
    printf '%s\n' "$pid"
}

ioc_mqtt_running() {
    local dir
    dir=$(_ioc_path "${1:?usage: ioc_mqtt_running DIR}") || return 1
    _ioc_mqtt_pid "$dir" >/dev/null
}

ioc_mqtt_password() {
    local dir=${1:?usage: ioc_mqtt_password DIR USER} user=${2:?usage: ioc_mqtt_password DIR USER}
    python3 - "$dir/credentials.json" "$user" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    creds = json.load(f)
if sys.argv[2] not in creds:
    sys.exit(f"ioc: no MQTT user {sys.argv[2]} in {sys.argv[1]}")
print(creds[sys.argv[2]])
EOF
}

ioc_mqtt_url() {
    local dir pass port
    dir=$(_ioc_path "${1:?usage: ioc_mqtt_url DIR}") || return 1
    pass=$(ioc_mqtt_password "$dir" ioc) && port=$(cat "$dir/port") || return 1
    printf 'mqtt://ioc:%s@127.0.0.1:%s\n' "$pass" "$port"
}

_ioc_mqtt_start_impl() {
    set -euo pipefail
    local dir=$1 port=$2 bin g pid plugin
    shift 2
    bin=$(_ioc_mosquitto_bin) || { _ioc_err "mosquitto not installed (run ioc_ensure_packages)"; return 1; }
    command -v mosquitto_ctrl >/dev/null || { _ioc_err "mosquitto_ctrl not found (package mosquitto)"; return 1; }
    plugin=$(_ioc_dynsec_plugin) || { _ioc_err "Mosquitto's dynamic-security plugin (mosquitto_dynamic_security.so) not found"; return 1; }
    dir=$(_ioc_abs "$dir") || { _ioc_err "cannot create $1"; return 1; }
    if [[ -z "$port" || "$port" == - ]]; then
        port=$(cat "$dir/port" 2>/dev/null) || { _ioc_err "ioc_mqtt_start: no PORT given and $dir/port missing"; return 1; }
    fi
    [[ "$port" =~ ^[0-9]+$ ]] || { _ioc_err "ioc_mqtt_start: bad port '$port'"; return 1; }
    for g in "$@"; do
        [[ "$g" =~ ^[A-Za-z0-9._-]+$ && "$g" != ioc ]] ||
            { _ioc_err "ioc_mqtt_start: '$g' cannot be a gateway user name (letters, digits, . _ - only)"; return 1; }
    done
    local template=$IOC_LIB_REPO/deploy/mosquitto/mosquitto.dev.conf init=$IOC_LIB_REPO/deploy/mosquitto/dynsec-init.py
    [[ -r "$template" && -r "$init" ]] || { _ioc_err "missing $template or $init"; return 1; }

    # A broker of this DIR still running: stop it, so that new users, config and port take effect.
    if _ioc_mqtt_pid "$dir" >/dev/null; then
        ioc_mqtt_stop "$dir" || return 1
    fi
    if ! ioc_port_is_free "$port"; then
        _ioc_err "ioc_mqtt_start: port $port on 127.0.0.1 is in use"
        return 1
    fi

    mkdir -p "$dir/data"
    # Credentials: keep the passwords of existing users, add the missing ones.
    (umask 077 && python3 - "$dir" "$@" <<'EOF'
import json, os, secrets, sys
d, gateways = sys.argv[1], sys.argv[2:]
path = os.path.join(d, "credentials.json")
creds = {}
if os.path.exists(path):
    with open(path, encoding="utf-8") as f:
        creds = json.load(f)
out = {"ioc": creds.pop("ioc", None) or secrets.token_hex(16)}
out.update(creds)
for g in gateways:
    out.setdefault(g, secrets.token_hex(16))
tmp = path + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
EOF
    )
    # Accounts live in the dynamic-security plugin's file: ioc, and every gateway of
    # credentials.json that the file does not have yet (a gateway whose password `ioc gateway
    # rotate` changed keeps the new one). The broker is stopped, so the file is ours to write.
    python3 "$init" "$dir/dynamic-security.json" "$dir/credentials.json" || { _ioc_err "dynsec-init.py failed"; return 1; }
    rm -f "$dir/passwd" "$dir/acl" # a password_file and acl_file of an older version
    local conf
    conf=$(<"$template")
    conf=${conf//@PORT@/$port}
    conf=${conf//@DIR@/$dir}
    conf=${conf//@DYNSEC_PLUGIN@/$plugin}
    printf '%s\n' "$conf" >"$dir/mosquitto.conf"
    printf '%s\n' "$port" >"$dir/port"
    rm -f "$dir/mosquitto.pid"
    touch "$dir/mosquitto.log"
    if ((EUID == 0)); then
        # mosquitto drops root for the mosquitto user: it must read its files and write data/ and
        # the log. credentials.json stays root's.
        # The plugin rewrites dynamic-security.json (through a new file in DIR) on every change.
        chown mosquitto: "$dir/data" "$dir/dynamic-security.json" "$dir/mosquitto.conf" "$dir/mosquitto.log"
        chown -R mosquitto: "$dir/data"
        _ioc_hand_over mosquitto "$dir" || return 1
    fi

    local offset
    offset=$(stat -c %s "$dir/mosquitto.log")
    # No inherited stdout/stderr: a caller reading our output through a pipe must see EOF.
    if ! (cd / && "$bin" -c "$dir/mosquitto.conf" -d </dev/null >/dev/null 2>"$dir/mosquitto.stderr"); then
        _ioc_err "mosquitto failed to start:"
        cat "$dir/mosquitto.stderr" >&2
        return 1
    fi
    local pass i ok=
    pass=$(ioc_mqtt_password "$dir" ioc)
    for ((i = 0; i < $(_ioc_wait_seconds) * 10; i++)); do
        if _ioc_port_open "$port" && pid=$(_ioc_mqtt_pid "$dir"); then
            ok=1
            break
        fi
        if ((i > 20)) && [[ -s "$dir/mosquitto.pid" ]] && ! _ioc_mqtt_pid "$dir" >/dev/null; then
            break # started and died
        fi
        sleep 0.1
    done
    # A real client round trip: log in as ioc and ask the dynamic-security plugin a question.
    if [[ -n "$ok" ]] && timeout 10 mosquitto_ctrl -h 127.0.0.1 -p "$port" -u ioc -P "$pass" -i "ioc-probe-$$" \
        dynsec getDefaultACLAccess </dev/null >/dev/null 2>&1; then
        return 0
    fi
    _ioc_err "mosquitto did not start on port $port; its log says:"
    { cat "$dir/mosquitto.stderr"; tail -c +"$((offset + 1))" "$dir/mosquitto.log" | tail -n 20; } >&2
    return 1
}

ioc_mqtt_start() {
    local dir=${1:?usage: ioc_mqtt_start DIR [PORT] [GATEWAY...]} port=${2:-}
    shift
    (($# > 0)) && shift
    (_ioc_mqtt_start_impl "$dir" "$port" "$@") || return 1
    dir=$(_ioc_path "$dir") || return 1
    # shellcheck disable=SC2034 # results for the caller
    IOC_MQTT_URL=$(ioc_mqtt_url "$dir") || return 1
    # shellcheck disable=SC2034
    IOC_MQTT_PORT=$(cat "$dir/port") || return 1
    # shellcheck disable=SC2034
    IOC_MQTT_CREDENTIALS=$dir/credentials.json
}

_ioc_mqtt_signal() {
    local dir sig=$2 pid i
    dir=$(_ioc_path "$1") || return 1
    pid=$(_ioc_mqtt_pid "$dir") || { rm -f "$dir/mosquitto.pid"; return 0; }
    kill "-$sig" "$pid" 2>/dev/null || true
    # On SIGTERM mosquitto writes its persistence database before it exits: give it time.
    for ((i = 0; i < $(_ioc_wait_seconds) * 10; i++)); do
        _ioc_pid_alive "$pid" || { rm -f "$dir/mosquitto.pid"; return 0; }
        sleep 0.1
    done
    _ioc_err "mosquitto (pid $pid) did not stop after SIG$sig"
    return 1
}

ioc_mqtt_stop() { _ioc_mqtt_signal "${1:?usage: ioc_mqtt_stop DIR}" TERM; }

ioc_mqtt_kill() { _ioc_mqtt_signal "${1:?usage: ioc_mqtt_kill DIR}" KILL; }

ioc_mqtt_restart() {
    local dir=${1:?usage: ioc_mqtt_restart DIR}
    ioc_mqtt_stop "$dir" && ioc_mqtt_start "$dir" -
}

# --- processes ---------------------------------------------------------------------------------

# ioc_stop_pid_file FILE [SECONDS] [MATCH]: stop the process whose pid FILE holds: SIGTERM, then
# SIGKILL after SECONDS (default 30). With MATCH, only a process whose command line contains MATCH
# (a stale pid file may name an unrelated process). Removes FILE. Status 0 if nothing ran.
ioc_stop_pid_file() {
    local file=${1:?usage: ioc_stop_pid_file FILE [SECONDS] [MATCH]} secs=${2:-30} match=${3:-} pid i
    pid=$(cat "$file" 2>/dev/null) || return 0
    if _ioc_pid_alive "$pid" &&
        { [[ -z "$match" ]] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$match"; }; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < secs * 10; i++)); do
            _ioc_pid_alive "$pid" || break
            sleep 0.1
        done
        if _ioc_pid_alive "$pid"; then
            _ioc_err "pid $pid ($file) did not stop in ${secs}s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "$file"
}

# --- End-to-end scripts (scripts/e2e/*.sh) ----------------------------------------------------------
# They run against the PostgreSQL and Mosquitto that scripts/test.sh started (IOC_TEST_* variables)
# and the binary in IOC_BIN.

# ioc_e2e_database NAME [RULES_FILE]: drops and creates database NAME on the test server, migrates
# it, imports the sample registry (and RULES_FILE, when given) and sets DB_URL to it.
ioc_e2e_database() {
    local name=${1:?usage: ioc_e2e_database NAME [RULES_FILE]} rules=${2:-}
    psql -X -qAt "$IOC_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null || return 1
    DB_URL="${IOC_TEST_DATABASE_URL%/*}/$name"
    "$IOC_BIN" migrate --database-url "$DB_URL" >/dev/null || return 1
    "$IOC_BIN" import --database-url "$DB_URL" "${REPO:-$PWD}/deploy/sample/registry.json" >/dev/null || return 1
    if [[ -n "$rules" ]]; then "$IOC_BIN" import-rules --database-url "$DB_URL" "$rules" >/dev/null || return 1; fi
}

# ioc_e2e_serve LOG CLIENT_ID [SERVE_ARGS...]: starts `ioc serve` in the background against DB_URL
# and the test broker, HTTP on HTTP_PORT, layouts from the repository's dashboards/, its output
# appended to LOG; sets SERVE_PID and waits (30 s at most) until /readyz answers. Status 1 when it
# exits or is not ready in time.
ioc_e2e_serve() {
    local log=${1:?usage: ioc_e2e_serve LOG CLIENT_ID [ARGS...]} client=${2:?usage: ioc_e2e_serve LOG CLIENT_ID [ARGS...]} i
    shift 2
    IOC_DATABASE_URL="$DB_URL" IOC_MQTT_URL="$IOC_TEST_MQTT_URL" IOC_HTTP_PORT="$HTTP_PORT" IOC_MQTT_CLIENT_ID="$client" \
        IOC_DASHBOARDS_DIR="${IOC_DASHBOARDS_DIR:-${REPO:-$PWD}/dashboards}" "$IOC_BIN" serve "$@" >>"$log" 2>&1 &
    SERVE_PID=$!
    for ((i = 0; i < 300; i++)); do
        curl -sf "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || { _ioc_err "ioc serve exited during start-up (see $log)"; return 1; }
        sleep 0.1
    done
    _ioc_err "ioc serve not ready within 30 s (see $log)"
    return 1
}
