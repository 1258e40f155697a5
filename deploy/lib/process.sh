# Sourced by the deploy scripts: process checks they share.

# Running, and not a zombie waiting for its (re)parent to reap it (pid 1 here does not reap).
pid_alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local k v
    while read -r k v _; do
        if [ "$k" = State: ]; then [ "$v" != Z ]; return; fi
    done < "/proc/$1/status" 2>/dev/null
    return 1
}
