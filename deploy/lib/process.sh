# Sourced by the deploy scripts: process and port checks they share.

# Running, and not a zombie waiting for its (re)parent to reap it (pid 1 here does not reap).
pid_alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local k v
    while read -r k v _; do
        if [ "$k" = State: ]; then [ "$v" != Z ]; return; fi
    done < "/proc/$1/status" 2>/dev/null
    return 1
}

# Does a socket still hold 127.0.0.1:$1 as its own end, though nothing may listen there? The scripts' ports lie in
# Linux's ephemeral range (32768 to 60999), so an outgoing connection can be given one, and a client reconnecting
# to a stopped server can even connect to itself on the server's port; either makes the server's bind fail with
# "address already in use" until that connection ends. A socket in TIME-WAIT does not stop a listener's bind.
# Without ss, nothing can be told: false.
port_held() {
    command -v ss >/dev/null && [ -n "$(ss -Htan exclude time-wait "( sport = :$1 )" 2>/dev/null)" ]
}

# Does any socket have 127.0.0.1:$1 as its own end, TIME-WAIT included? Unlike port_held: a listener that binds with
# SO_REUSEADDR still fails over a TIME-WAIT left by a connection that had no SO_REUSEADDR (RabbitMQ's Erlang
# distribution port, docker-proxy's published ports). $2 = except-listeners: listening sockets do not count (the
# caller's own servers hold them). Without ss, nothing can be told: false.
port_in_use() {
    local skip='^$'
    [ "${2:-}" = except-listeners ] && skip='^LISTEN'
    command -v ss >/dev/null && [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null | grep -Ev "$skip")" ]
}
