#!/usr/bin/env bash
# Entrypoint of accountability/pg-auto-failover: one pg_autoctl node of a pg_auto_failover formation.
#   PGAF_ROLE       monitor | postgres (a data node)
#   PGAF_HOSTNAME   the name the other nodes and the monitor reach this one by (its network alias)
#   PGAF_NAME       a data node's name in the formation (default: PGAF_HOSTNAME)
#   PGAF_MONITOR    a data node's monitor URI, e.g. postgres://autoctl_node@monitor:5432/pg_auto_failover?sslmode=disable
#   PGAF_AUTH       the authentication pg_autoctl writes into pg_hba.conf (default trust: test formations only)
#   PGAF_SSL        --no-ssl (default) or e.g. --ssl-self-signed
# The first start creates the node (pg_autoctl create ... --run); a restart of the same container (PGDATA and
# pg_autoctl's state kept) runs it again with pg_autoctl run, and a lost primary rejoins as a standby.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
if [ "$(id -u)" = 0 ]; then
    install -d -m 0700 -o postgres -g postgres "$PGDATA"
    install -d -m 3777 -o postgres -g postgres /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql "$0" "$@"
fi

ROLE=${PGAF_ROLE:?set PGAF_ROLE to monitor or postgres}
HOSTNAME_=${PGAF_HOSTNAME:-$(hostname)}
AUTH=${PGAF_AUTH:-trust}
SSL=${PGAF_SSL:---no-ssl}
log() { printf '%s [pg-auto-failover] %s\n' "$(date -u '+%F %T UTC')" "$*"; }

if [ -s "$PGDATA/PG_VERSION" ] && [ -d "$HOME/.config/pg_autoctl" ]; then
    log "$ROLE $HOSTNAME_ was created before: pg_autoctl run"
    # The pid file of the container's previous life (its pg_autoctl was PID 1 too) would stop this one.
    rm -rf "${XDG_RUNTIME_DIR:-/tmp}/pg_autoctl"
    exec pg_autoctl run --pgdata "$PGDATA"
fi

case $ROLE in
    monitor)
        log "creating the monitor $HOSTNAME_"
        exec pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 --hostname "$HOSTNAME_" \
            --auth "$AUTH" $SSL --run ;;
    postgres)
        log "creating the data node ${PGAF_NAME:-$HOSTNAME_} ($HOSTNAME_), monitor ${PGAF_MONITOR:?set PGAF_MONITOR}"
        # --pg-hba-lan: the container network's clients (the other node, and the host through the published port).
        exec pg_autoctl create postgres --pgdata "$PGDATA" --pgport 5432 --hostname "$HOSTNAME_" --name "${PGAF_NAME:-$HOSTNAME_}" \
            --monitor "$PGAF_MONITOR" --auth "$AUTH" $SSL --pg-hba-lan --run ;;
    *) log "unknown PGAF_ROLE=$ROLE (monitor or postgres)" >&2; exit 2 ;;
esac
