#!/usr/bin/env bash
# Entrypoint of accountability/postgres, honouring the official image's settings:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required unless POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_DB (default: the user's name), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD
#   (default scram-sha-256), PGDATA, and /docker-entrypoint-initdb.d/*.sql|*.sql.gz|*.sh on the first start.
# Arguments starting with "-" go to postgres (Testcontainers passes "-c fsync=off" and friends).
set -euo pipefail

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

: "${PGDATA:=/var/lib/postgresql/data}"
# Root prepares the folders, then runs this script again as postgres (initdb and postgres refuse root).
if [ "$(id -u)" = 0 ]; then
    install -d -m 0700 -o postgres -g postgres "$PGDATA"
    install -d -m 3777 -o postgres -g postgres /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
AUTH=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
log() { printf '%s [entrypoint] %s\n' "$(date -u '+%F %T UTC')" "$*"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$AUTH" != trust ]; then
        log "error: POSTGRES_PASSWORD is empty; set it (or POSTGRES_HOST_AUTH_METHOD=trust, which allows anyone in)" >&2
        exit 1
    fi
    log "initdb for user $POSTGRES_USER"
    # --no-sync: a container's first seconds are not worth an fsync of every file (tests start many).
    # shellcheck disable=SC2086
    initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
        -E UTF8 --locale=C.UTF-8 --no-sync ${POSTGRES_INITDB_ARGS:-}
    printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    printf '\nhost all all all %s\n' "$AUTH" >> "$PGDATA/pg_hba.conf"

    # A first start on the unix socket only, so nothing connects over TCP (pg_isready --host) before
    # the init scripts have run. It gets the container's own settings too (e.g. fsync=off).
    options=
    [ $# -lt 2 ] || options="$(printf '%q ' "${@:2}")"
    pg_ctl -D "$PGDATA" -w -o "$options-c listen_addresses='' -p 5432" start
    psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ "$POSTGRES_DB" != postgres ]; then
        "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case $f in
            *.sh) log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
            *.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) log "running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
            *) log "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    log "PostgreSQL init process complete; ready for start up."
fi

exec "$@"
