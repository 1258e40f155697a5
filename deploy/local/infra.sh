#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + RabbitMQ 3.10 for `make up` and `make test`.
#
#   deploy/local/infra.sh <command> [--profile up|test|bench|chaos]
#
# Commands:
#   start            start both servers (idempotent), then print the environment
#   stop             stop both servers and the broker's epmd (only what this script started)
#   env              print the environment (export lines) without touching the servers
#   status           show what runs; exit 1 unless both servers are up
#   broker-stop      rabbitmqctl stop_app  (clients see an outage, the node stays up)
#   broker-start     rabbitmqctl start_app
#   broker-restart   stop and start the whole broker node
#   pg-stop          pg_ctl stop -m fast
#   pg-start         pg_ctl start
#   reset            stop, then delete this profile's server data (make test starts from scratch)
#
# The profile defaults to $ACCOUNTABILITY_PROFILE, else "up". Every file lives under
# <repo>/.state/<profile>/. Only `export NAME=value` lines go to stdout; progress goes to stderr.
set -euo pipefail

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT_PATH")/../.." && pwd -P)

# PostgreSQL 15 (Debian 12); on a distribution without it, the newest installed version.
find_pg_bin() {
    local v
    for v in 15 $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
        if [ -x "/usr/lib/postgresql/$v/bin/initdb" ]; then echo "/usr/lib/postgresql/$v/bin"; return 0; fi
    done
    echo /usr/lib/postgresql/15/bin
}
PG_BIN=$(find_pg_bin)
RMQ_BIN=/usr/lib/rabbitmq/bin

log() { printf '[infra %s %s] %s\n' "${PROFILE:-?}" "$(date +%T)" "$*" >&2; }
die() { printf '[infra %s] error: %s\n' "${PROFILE:-?}" "$*" >&2; exit 1; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT_PATH" >&2
    exit 2
}

# ---------------------------------------------------------------- arguments

COMMAND=${1:-}
case $COMMAND in ""|-h|--help|help) usage ;; esac
shift
PROFILE=${ACCOUNTABILITY_PROFILE:-up}
while [ $# -gt 0 ]; do
    case $1 in
        --profile) [ $# -ge 2 ] || usage; PROFILE=$2; shift 2 ;;
        --profile=*) PROFILE=${1#--profile=}; shift ;;
        -h|--help) usage ;;
        *) log "unknown argument: $1"; usage ;;
    esac
done

case $PROFILE in
    up)    PORT_PREFIX=55 ;;
    test)  PORT_PREFIX=56 ;;
    bench) PORT_PREFIX=58 ;;  # make bench: never shares servers with make test or make up
    # make chaos: kills and restarts its servers on purpose, under load. Its ports lie below the ephemeral range
    # (32768 to 60999 here): clients reconnecting to a stopped broker on 59672 were given that port as their own
    # end, or connected to themselves, and the broker's restart lost its bind three times running (5 December).
    chaos) PORT_PREFIX=29 ;;
    *) die "unknown profile '$PROFILE' (use up or test)" ;;
esac
PG_PORT=${PORT_PREFIX}432
AMQP_PORT=${PORT_PREFIX}672
MGMT_PORT=${PORT_PREFIX}673
DIST_PORT=${PORT_PREFIX}674
EPMD_PORT=${PORT_PREFIX}675

STATE=$REPO/.state/$PROFILE
PG_DIR=$STATE/pg
PGDATA=$PG_DIR/data
PG_LOG=$PG_DIR/postgres.log
RMQ_DIR=$STATE/rabbitmq
RMQ_PID_FILE=$RMQ_DIR/rabbitmq.pid
RMQ_WRAPPER_PID_FILE=$RMQ_DIR/wrapper.pid
EPMD_PID_FILE=$RMQ_DIR/epmd.pid
NODENAME=accountability-$PROFILE@localhost
ENV_FILE=$STATE/env.sh

if [ "$(id -u)" = 0 ]; then
    AS_ROOT=1
    PG_USER=postgres
    RMQ_USER=rabbitmq
else
    # Without root everything runs as the calling user (no package installs then).
    AS_ROOT=0
    PG_USER=$(id -un)
    RMQ_USER=$(id -un)
fi

# Every process this script starts carries this variable, so `stop` can find leftovers.
TAG="ACCOUNTABILITY_INFRA_TAG=$STATE"
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---------------------------------------------------------------- helpers

# Quote a value for sh: 'it'\''s'.
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }

print_env() {
    local cs="Host=127.0.0.1;Port=$PG_PORT;Database=accountability;Username=accountability;Password=accountability;Maximum Pool Size=50"
    local lines
    lines=$(cat <<EOF
export ConnectionStrings__Accountability=$(shq "$cs")
export RabbitMq__Uri=$(shq "amqp://accountability:accountability@127.0.0.1:$AMQP_PORT/")
export RabbitMq__ManagementUri=$(shq "http://127.0.0.1:$MGMT_PORT/")
export ACCOUNTABILITY_PROFILE=$(shq "$PROFILE")
export ACCOUNTABILITY_INFRA=$(shq "$SCRIPT_PATH")
export ACCOUNTABILITY_STATE_DIR=$(shq "$STATE")
EOF
)
    mkdir -p "$STATE"
    printf '%s\n' "$lines" > "$ENV_FILE.tmp"
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
    printf '%s\n' "$lines"
}

# Is something accepting connections on 127.0.0.1:$1?
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {
    if port_busy "$1"; then
        die "port 127.0.0.1:$1 ($2) is already taken by another process (another checkout running profile '$PROFILE'? see: ss -ltnp | grep $1)"
    fi
    await_port_unheld "$1" "$2"
}

# Nothing listens, but a socket may still hold the port (port_held says how): make chaos once lost RabbitMQ's
# restart to that on 59672 (its ports are now below the ephemeral range). Such sockets go away when their connection ends; wait for that, up to 60 s.
await_port_unheld() {
    local deadline=$((SECONDS + 60))
    while port_held "$1"; do
        [ $SECONDS -ge $deadline ] && die "port 127.0.0.1:$1 ($2) is still held by another socket after 60 s: $(ss -Htanp exclude time-wait "( sport = :$1 )" 2>/dev/null | head -n 3)"
        log "port 127.0.0.1:$1 ($2) is held by another socket; waiting for it to close"
        sleep 1
    done
}

# RabbitMQ's boot fails with dist_port_already_used when a connection without SO_REUSEADDR (an ordinary client's) had
# the Erlang distribution port as its own end, even once it is in TIME-WAIT, up to 60 s after it closed (make bench,
# 6 December, on 58674 in the ephemeral range). After such a failure, wait for those too, up to 70 s. Not before every
# start: the node's own closed connections linger in TIME-WAIT after a restart, harmlessly, and would only slow it.
await_port_unused() {
    local deadline=$((SECONDS + 70)) told=0
    while port_in_use "$1"; do
        [ $SECONDS -ge $deadline ] && die "port 127.0.0.1:$1 ($2) is still used by another socket after 70 s: $(ss -Htanp "( sport = :$1 )" 2>/dev/null | head -n 3)"
        [ "$told" = 1 ] || log "port 127.0.0.1:$1 ($2) is still used by a connection that closed (TIME-WAIT, up to 60 s); waiting for it to go"
        told=1
        sleep 1
    done
}

# shellcheck source=../lib/process.sh
source "$REPO/deploy/lib/process.sh"

read_pid() { [ -s "$1" ] && head -n1 "$1" | tr -dc '0-9' || true; }

# Does process $1 carry our tag in its environment?
has_tag() {
    local e vars=()
    { mapfile -d '' -t vars < "/proc/$1/environ"; } 2>/dev/null || return 1
    for e in "${vars[@]}"; do [ "$e" = "$TAG" ] && return 0; done
    return 1
}

proc_comm() { cat "/proc/$1/comm" 2>/dev/null || true; }

# Send TERM, wait up to $2 tenths of a second, then KILL.
terminate() {
    local pid=$1 grace=${2:-200} i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace; i++)); do
        pid_alive "$pid" || return 0
        sleep 0.1
    done
    [ "$grace" -ge 10 ] && log "pid $pid ignored TERM for $((grace / 10)) s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
}

# Processes still carrying our tag (beam, erl_child_setup, epmd, wrappers, ...).
tagged_pids() {
    local p pid
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [ "$pid" = "$$" ] && continue
        [ "$pid" = "$BASHPID" ] && continue
        has_tag "$pid" && echo "$pid"
    done
    return 0
}

# Make every folder from $1 up to / traversable by the server users.
make_traversable() {
    local d=$1
    while [ "$d" != / ] && [ -n "$d" ]; do
        if [ -d "$d" ] && [ "$(stat -c %A "$d" | cut -c10)" != x ] && [ "$(stat -c %A "$d" | cut -c10)" != t ]; then
            chmod o+x "$d" 2>/dev/null || die "cannot make $d traversable (chmod o+x)"
        fi
        d=$(dirname "$d")
    done
}

as_pg() {
    if [ "$AS_ROOT" = 1 ]; then
        (cd / && runuser -u "$PG_USER" -- env "$TAG" "PATH=$SYS_PATH" LC_ALL=C.UTF-8 "$@")
    else
        (cd / && env "$TAG" LC_ALL=C.UTF-8 "$@")
    fi
}

rmq_env() {
    local home schedulers
    schedulers=$(rmq_scheduler_args)
    home=$(getent passwd "$RMQ_USER" | cut -d: -f6)
    # The Erlang cookie lives in $HOME; a user without a usable home keeps it in the state folder.
    if [ "$AS_ROOT" = 0 ] && [ ! -f "$home/.erlang.cookie" ] && [ ! -w "$home" ]; then home=$RMQ_DIR; fi
    RMQ_ENV=(
        "$TAG"
        "PATH=$SYS_PATH"
        "HOME=$home"
        "LANG=C.UTF-8" "LC_ALL=C.UTF-8"
        "RABBITMQ_NODENAME=$NODENAME"
        "RABBITMQ_USE_LONGNAME=false"
        "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
        "RABBITMQ_NODE_PORT=$AMQP_PORT"
        "RABBITMQ_DIST_PORT=$DIST_PORT"
        "ERL_EPMD_PORT=$EPMD_PORT"
        "ERL_EPMD_ADDRESS=127.0.0.1"
        "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia"
        "RABBITMQ_LOG_BASE=$RMQ_DIR/log"
        "RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins"
        "RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf"
        "RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config"
        "RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf"
        "RABBITMQ_PID_FILE=$RMQ_PID_FILE"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1} $schedulers"
        "RABBITMQ_CTL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    )
}

# The broker's Erlang schedulers: one by default (RABBITMQ_SCHEDULERS, a whole number from 1 to 64), not bound to a core
# (+sbt u), so the kernel can run it wherever a core is free. On this two-core machine the broker shares the cores with
# PostgreSQL and five services; a second scheduler only added wake-ups that hand work between the two: at 5 complaints
# a second the broker used a fifth more CPU with two (docs/bench.md, thirty-second round). Raise it on a machine where
# the broker has cores of its own.
rmq_scheduler_args() {
    local n=${RABBITMQ_SCHEDULERS:-1}
    [[ $n =~ ^[1-9][0-9]?$ && $n -le 64 ]] || die "RABBITMQ_SCHEDULERS must be a whole number from 1 to 64, not '$n'"
    printf '+S %s:%s +sbt u' "$n" "$n"
}

# Sets RMQ_CMD to the command line that runs "$@" as the broker's user with the broker's environment.
rmq_cmd() {
    rmq_env
    if [ "$AS_ROOT" = 1 ]; then
        RMQ_CMD=(runuser -u "$RMQ_USER" -- env "${RMQ_ENV[@]}" "$@")
    else
        RMQ_CMD=(env "${RMQ_ENV[@]}" "$@")
    fi
}

as_rmq() { rmq_cmd "$@"; (cd "$RMQ_DIR" && "${RMQ_CMD[@]}"); }

rabbitmqctl() { as_rmq "$RMQ_BIN/rabbitmqctl" -n "$NODENAME" "$@"; }

# ---------------------------------------------------------------- installation

ensure_packages() {
    local pkgs=() need_pg=0
    [ -x "$PG_BIN/initdb" ] || need_pg=1
    [ -x "$RMQ_BIN/rabbitmq-server" ] && [ -x "$RMQ_BIN/rabbitmqctl" ] || pkgs+=(rabbitmq-server)
    [ $need_pg = 0 ] && [ ${#pkgs[@]} -eq 0 ] && return 0
    [ $need_pg = 1 ] && pkgs+=(postgresql-15)
    [ "$AS_ROOT" = 1 ] || die "missing ${pkgs[*]}; install them as root (apt-get install -y ${pkgs[*]})"
    command -v apt-get >/dev/null 2>&1 || die "missing ${pkgs[*]} and no apt-get to install them"
    log "installing ${pkgs[*]} (apt-get)"
    # Keep the packages' own system services from starting during the install.
    local policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_added=1
    fi
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -q || true
        if [ $need_pg = 1 ] && ! apt-cache show postgresql-15 >/dev/null 2>&1; then
            # Not Debian 12: take the distribution's PostgreSQL instead.
            pkgs=("${pkgs[@]/postgresql-15/postgresql}")
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
    } >&2 9>&- || rc=$?
    [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || die "apt-get install ${pkgs[*]} failed"
    PG_BIN=$(find_pg_bin)
    [ -x "$PG_BIN/initdb" ] || die "no initdb under /usr/lib/postgresql after the install"
    [ -x "$RMQ_BIN/rabbitmq-server" ] || die "no $RMQ_BIN/rabbitmq-server after the install"
}

prepare_dirs() {
    mkdir -p "$STATE" "$PG_DIR" "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    chmod 755 "$REPO/.state" "$STATE"
    make_traversable "$STATE"
    if [ "$AS_ROOT" = 1 ]; then
        chown "$PG_USER:" "$PG_DIR"
        chown -R "$RMQ_USER:" "$RMQ_DIR"
    fi
    chmod 755 "$PG_DIR" "$RMQ_DIR"
}

# ---------------------------------------------------------------- PostgreSQL

pg_socket_dir() {
    # A unix socket path may be at most 107 bytes; fall back to a short path for deep checkouts.
    local sock="$PG_DIR/.s.PGSQL.$PG_PORT"
    if [ ${#sock} -le 100 ]; then
        echo "$PG_DIR"
    else
        local d
        d="/tmp/accountability-pg-$PROFILE-$(printf '%s' "$STATE" | cksum | cut -d' ' -f1)"
        mkdir -p "$d"
        [ "$AS_ROOT" = 1 ] && chown "$PG_USER:" "$d"
        chmod 700 "$d"
        echo "$d"
    fi
}

pg_running() {
    [ -f "$PGDATA/postmaster.pid" ] || return 1
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

pg_pid() { read_pid "$PGDATA/postmaster.pid"; }

pg_init() {
    if [ -f "$PGDATA/PG_VERSION" ]; then return 0; fi
    if [ -e "$PGDATA" ]; then
        log "removing incomplete data folder $PGDATA"
        rm -rf "$PGDATA"
    fi
    log "initdb $PGDATA"
    as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_USER" -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
        || { tail -n 20 "$PG_DIR/initdb.log" >&2; die "initdb failed (see $PG_DIR/initdb.log)"; }
    echo "include_if_exists = 'accountability.conf'" >> "$PGDATA/postgresql.conf"
}

pg_write_conf() {
    local sockdir=$1 q
    q=${sockdir//\'/\'\'}
    cat > "$PGDATA/accountability.conf.tmp" <<EOF
# Written by deploy/local/infra.sh on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$q'
max_connections = 400
EOF
    if [ "$PROFILE" = bench ]; then
        # make bench prints the top statements by total time (docs/bench.md). Autovacuum keeps PostgreSQL's default
        # minute: every 10 s, on the bench's small tables, it started six workers a minute through the trickle, each
        # 100 to 230 ms of CPU, about 5 ms a complaint at 5/s that a department's database (large tables) does not pay.
        # The bench analyzes once after its warm-up instead, so the plans fit tables that are no longer empty
        # (docs/bench.md, twenty-first and thirty-fifth rounds).
        printf "%s\n" "shared_preload_libraries = 'pg_stat_statements'" "pg_stat_statements.track = top" \
            >> "$PGDATA/accountability.conf.tmp"
    fi
    [ "$AS_ROOT" = 1 ] && chown "$PG_USER:" "$PGDATA/accountability.conf.tmp"
    mv -f "$PGDATA/accountability.conf.tmp" "$PGDATA/accountability.conf"
}

psql_admin() {
    as_pg "$PG_BIN/psql" -X -q -h "$PG_SOCKDIR" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 "$@"
}

pg_bootstrap() {
    psql_admin <<'SQL' >&2
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accountability') THEN
        CREATE ROLE accountability LOGIN CREATEROLE CREATEDB PASSWORD 'accountability';
    ELSE
        ALTER ROLE accountability LOGIN CREATEROLE CREATEDB PASSWORD 'accountability';
    END IF;
END
$$;
SQL
    if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'accountability'")" != 1 ]; then
        psql_admin -c "CREATE DATABASE accountability OWNER accountability" >&2
    fi
    psql_admin < "$REPO/deploy/postgres/service-logins.sql" >&2
    if [ "$PROFILE" = bench ]; then
        psql_admin -d accountability >&2 <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT pg_read_all_stats TO accountability;
GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO accountability;
SQL
    fi
}

pg_start() {
    pg_init
    PG_SOCKDIR=$(pg_socket_dir)
    if pg_running; then
        log "postgres already running (pid $(pg_pid)) on 127.0.0.1:$PG_PORT"
    else
        require_free_port "$PG_PORT" postgres
        pg_write_conf "$PG_SOCKDIR"
        log "starting postgres on 127.0.0.1:$PG_PORT"
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >&2 9>&- \
            || { tail -n 30 "$PG_LOG" >&2 || true; die "postgres did not start (log: $PG_LOG)"; }
    fi
    pg_bootstrap
}

pg_stop() {
    if ! pg_running; then
        log "postgres not running"
        return 0
    fi
    local pid
    pid=$(pg_pid)
    log "stopping postgres (pid $pid)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" stop -m fast -w -t 60 >&2; then
        if pid_alive "$pid" && [ "$(proc_comm "$pid")" = postgres ]; then
            log "pg_ctl stop failed; sending signals"
            terminate "$pid" 100
        fi
    fi
}

# ---------------------------------------------------------------- RabbitMQ

rmq_write_conf() {
    cat > "$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by deploy/local/infra.sh on every start.
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
# Created when the node first boots (instead of guest).
default_vhost = /
default_user = accountability
default_pass = accountability
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.file.level = info
log.console = false
EOF
    echo '[rabbitmq_management].' > "$RMQ_DIR/enabled_plugins"
    : > "$RMQ_DIR/rabbitmq-env.conf"
    if [ "$AS_ROOT" = 1 ]; then
        chown "$RMQ_USER:" "$RMQ_DIR/rabbitmq.conf" "$RMQ_DIR/enabled_plugins" "$RMQ_DIR/rabbitmq-env.conf"
    fi
}

rmq_pid() {
    local pid
    pid=$(read_pid "$RMQ_PID_FILE")
    if [ -n "$pid" ] && pid_alive "$pid" && [ "$(proc_comm "$pid")" = beam.smp ]; then echo "$pid"; fi
}

epmd_pid() {
    local pid
    pid=$(read_pid "$EPMD_PID_FILE")
    if [ -n "$pid" ] && pid_alive "$pid" && [ "$(proc_comm "$pid")" = epmd ]; then echo "$pid"; fi
}

epmd_start() {
    [ -n "$(epmd_pid)" ] && return 0
    require_free_port "$EPMD_PORT" epmd
    local epmd p pid found=
    epmd=$(command -v epmd || true)
    [ -n "$epmd" ] || epmd=$(ls /usr/lib/erlang/erts-*/bin/epmd 2>/dev/null | head -n1)
    [ -x "$epmd" ] || die "epmd not found (is erlang-base installed?)"
    log "starting epmd on 127.0.0.1:$EPMD_PORT"
    as_rmq "$epmd" -port "$EPMD_PORT" -address 127.0.0.1 -daemon </dev/null >/dev/null 2>&1 9>&- || true
    for ((i = 0; i < 50; i++)); do
        for p in /proc/[0-9]*; do
            pid=${p#/proc/}
            [ "$(proc_comm "$pid")" = epmd ] || continue
            has_tag "$pid" || continue
            tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -- "-port $EPMD_PORT " || continue
            found=$pid
            break
        done
        [ -n "$found" ] && break
        sleep 0.1
    done
    [ -n "$found" ] || die "epmd did not start on port $EPMD_PORT"
    echo "$found" > "$EPMD_PID_FILE"
}

rmq_start_node() {
    rmq_write_conf
    epmd_start
    if [ -n "$(rmq_pid)" ]; then
        log "rabbitmq already running (pid $(rmq_pid)) on 127.0.0.1:$AMQP_PORT"
        # The app may have been stopped by broker-stop: start_app is a no-op when it runs.
        rabbitmqctl -q start_app >&2 || die "rabbitmqctl start_app failed (logs: $RMQ_DIR/log)"
    else
        local node_log="$RMQ_DIR/log/$NODENAME.log" offset=0 wrapper i attempt dist_refused=0
        for attempt in 1 2 3; do
            require_free_port "$AMQP_PORT" amqp
            require_free_port "$MGMT_PORT" "rabbitmq management"
            require_free_port "$DIST_PORT" "erlang distribution"
            [ "$dist_refused" = 1 ] && await_port_unused "$DIST_PORT" "erlang distribution"
            rm -f "$RMQ_PID_FILE"
            [ -f "$node_log" ] && offset=$(stat -c %s "$node_log")
            log "starting rabbitmq node $NODENAME on 127.0.0.1:$AMQP_PORT (management $MGMT_PORT)"
            rmq_cmd "$RMQ_BIN/rabbitmq-server"
            # A session of its own: Ctrl-C in the caller's terminal must not reach the broker.
            (cd "$RMQ_DIR" && exec env "$TAG" setsid nohup "${RMQ_CMD[@]}" </dev/null >"$RMQ_DIR/log/startup.log" 2>&1 9>&-) &
            wrapper=$!
            echo "$wrapper" > "$RMQ_WRAPPER_PID_FILE"
            # Wait for the boot to finish (polling the log is quicker than await_startup's 10 s steps).
            for ((i = 0; i < 900; i++)); do
                if [ -f "$node_log" ] && tail -c +$((offset + 1)) "$node_log" 2>/dev/null | grep -q 'Server startup complete'; then
                    break 2
                fi
                pid_alive "$wrapper" || break
                sleep 0.1
            done
            pid_alive "$wrapper" && break
            # A socket took a port between the look above and the node's bind (see await_port_unheld): look and start again.
            # The listeners say eaddrinuse; the Erlang distribution port says dist_port_already_used (make bench, 6 December).
            grep -q dist_port_already_used "$RMQ_DIR/log/startup.log" 2>/dev/null && dist_refused=1
            if [ "$attempt" -lt 3 ] && grep -Eq 'eaddrinuse|dist_port_already_used' "$RMQ_DIR/log/startup.log" 2>/dev/null; then
                log "rabbitmq could not bind a port that another socket took meanwhile (attempt $attempt of 3); starting it again"
                continue
            fi
            tail -n 30 "$RMQ_DIR/log/startup.log" >&2 || true
            die "rabbitmq exited during start (logs: $RMQ_DIR/log)"
        done
        # The boot's last log line can come before its pid file reads as the node (seen once in make bench REF=).
        for ((i = 0; i < 100; i++)); do [ -n "$(rmq_pid)" ] && break; sleep 0.1; done
        [ -n "$(rmq_pid)" ] || die "rabbitmq did not write $RMQ_PID_FILE (it holds '$(read_pid "$RMQ_PID_FILE")', a process named '$(proc_comm "$(read_pid "$RMQ_PID_FILE")")')"
    fi
    rmq_await
}

rmq_await() {
    if ! rabbitmqctl --timeout 90 await_startup >&2; then
        tail -n 30 "$RMQ_DIR/log/startup.log" >&2 || true
        die "rabbitmq did not finish booting (logs: $RMQ_DIR/log)"
    fi
    log "rabbitmq ready: amqp 127.0.0.1:$AMQP_PORT, management http://127.0.0.1:$MGMT_PORT/"
}

rmq_stop_node() {
    local pid wrapper
    pid=$(rmq_pid)
    if [ -n "$pid" ]; then
        log "stopping rabbitmq (pid $pid)"
        terminate "$pid" 300
    else
        log "rabbitmq not running"
    fi
    wrapper=$(read_pid "$RMQ_WRAPPER_PID_FILE")
    if [ -n "$wrapper" ] && pid_alive "$wrapper" && has_tag "$wrapper"; then
        terminate "$wrapper" 50
    fi
    rm -f "$RMQ_PID_FILE" "$RMQ_WRAPPER_PID_FILE"
}

epmd_stop() {
    local pid
    pid=$(epmd_pid)
    if [ -n "$pid" ]; then
        log "stopping epmd (pid $pid)"
        # epmd keeps no state, and takes a while to act on TERM.
        terminate "$pid" 3
    fi
    rm -f "$EPMD_PID_FILE"
}

# Last resort: anything still carrying this profile's tag (never other processes).
sweep() {
    local pids pid
    pids=$(tagged_pids)
    [ -z "$pids" ] && return 0
    for pid in $pids; do
        log "stopping leftover $(proc_comm "$pid") (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
    done
    sleep 1
    for pid in $pids; do
        pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
    return 0
}

# ---------------------------------------------------------------- commands

lock() {
    mkdir -p "$STATE"
    exec 9>>"$STATE/.lock"
    flock -w 300 9 || die "another infra.sh holds $STATE/.lock"
}

cmd_start() {
    local t0=$SECONDS
    ensure_packages
    prepare_dirs
    pg_start
    rmq_start_node
    log "infrastructure ready in $((SECONDS - t0)) s (state: $STATE)"
    print_env
}

cmd_stop() {
    if [ -x "$PG_BIN/pg_ctl" ]; then pg_stop; fi
    rmq_stop_node
    epmd_stop
    sweep
    log "stopped"
}

# Stop, then delete this profile's server data (the next start begins from scratch).
cmd_reset() {
    cmd_stop
    log "deleting $PG_DIR and $RMQ_DIR"
    rm -rf "$PG_DIR" "$RMQ_DIR"
}

cmd_status() {
    local ok=0 pid
    if [ -x "$PG_BIN/pg_ctl" ] && pg_running; then
        echo "postgres: running (pid $(pg_pid)) on 127.0.0.1:$PG_PORT"
    else
        echo "postgres: stopped"; ok=1
    fi
    pid=$(rmq_pid)
    if [ -n "$pid" ]; then
        if rabbitmqctl -q eval 'rabbit:is_running().' 2>/dev/null | grep -q true; then
            echo "rabbitmq: running (pid $pid) node $NODENAME, amqp 127.0.0.1:$AMQP_PORT, management http://127.0.0.1:$MGMT_PORT/"
        else
            echo "rabbitmq: node up (pid $pid) but the rabbit app is stopped"; ok=1
        fi
    else
        echo "rabbitmq: stopped"; ok=1
    fi
    pid=$(epmd_pid)
    if [ -n "$pid" ]; then echo "epmd: running (pid $pid) on 127.0.0.1:$EPMD_PORT"; else echo "epmd: stopped"; fi
    echo "state: $STATE"
    return $ok
}

case $COMMAND in start | broker-restart) rmq_scheduler_args > /dev/null ;; esac  # a bad setting stops nothing

case $COMMAND in
    start) lock; cmd_start ;;
    stop)
        if [ ! -d "$STATE" ]; then log "nothing to stop"; exit 0; fi
        lock; cmd_stop ;;
    reset)
        if [ ! -d "$STATE" ]; then log "nothing to reset"; exit 0; fi
        lock; cmd_reset ;;
    env) print_env ;;
    status) cmd_status ;;
    broker-stop)
        lock
        [ -n "$(rmq_pid)" ] || die "rabbitmq is not running"
        log "rabbitmqctl stop_app"
        rabbitmqctl stop_app >&2 ;;
    broker-start)
        lock
        [ -n "$(rmq_pid)" ] || die "rabbitmq is not running (use start or broker-restart)"
        log "rabbitmqctl start_app"
        rabbitmqctl start_app >&2
        rmq_await ;;
    broker-restart)
        lock
        prepare_dirs
        rmq_stop_node
        rmq_start_node ;;
    pg-stop) lock; pg_stop ;;
    pg-start) lock; prepare_dirs; pg_start ;;
    *) log "unknown command: $COMMAND"; usage ;;
esac
