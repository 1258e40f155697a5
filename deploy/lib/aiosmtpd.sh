#!/usr/bin/env bash
# Makes sure Debian's python3-aiosmtpd is there for /usr/bin/python3, installing it as root when missing.
# Every SMTP server the project runs is aiosmtpd: make up's mail sink, the tests' relay and make bench's
# sink. Debian's interpreter matters: a python3 earlier on PATH (pyenv, a venv) lacks the package.
# Sourced: defines ensure_aiosmtpd, which prints progress to stderr and returns 1 with a reason on failure.
# Run directly (make bench, make chaos): does the same and exits with that status.

ensure_aiosmtpd() {
    /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "python3-aiosmtpd is missing: apt-get install -y python3-aiosmtpd (as root)" >&2
        return 1
    fi
    echo "installing python3-aiosmtpd (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-aiosmtpd >&2 \
        || { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
             DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-aiosmtpd >&2; } \
        || { echo "apt-get install python3-aiosmtpd failed" >&2; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    ensure_aiosmtpd
fi
