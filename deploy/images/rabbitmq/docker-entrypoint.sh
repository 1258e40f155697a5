#!/usr/bin/env bash
# Entrypoint of accountability/rabbitmq, honouring the official image's RABBITMQ_DEFAULT_USER,
# RABBITMQ_DEFAULT_PASS and RABBITMQ_DEFAULT_VHOST (created on the node's first boot; default guest/guest, /).
set -euo pipefail

if [ "${1:-}" != rabbitmq-server ]; then exec "$@"; fi

# Cuttlefish reads a value to the end of its line: a line break would inject settings.
for v in RABBITMQ_DEFAULT_USER RABBITMQ_DEFAULT_PASS RABBITMQ_DEFAULT_VHOST; do
    case ${!v:-} in *$'\n'*) echo "[entrypoint] error: $v must be one line" >&2; exit 1 ;; esac
done
cat > /etc/rabbitmq/conf.d/20-default-user.conf <<CONF
# Written by docker-entrypoint.sh from the container's environment.
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
default_vhost = ${RABBITMQ_DEFAULT_VHOST:-/}
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
CONF
chown rabbitmq:rabbitmq /etc/rabbitmq/conf.d/20-default-user.conf
chmod 600 /etc/rabbitmq/conf.d/20-default-user.conf
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq /var/log/rabbitmq

# The broker runs as rabbitmq, in the foreground; its Erlang cookie lives in $HOME.
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq \
    /usr/lib/rabbitmq/bin/rabbitmq-server
