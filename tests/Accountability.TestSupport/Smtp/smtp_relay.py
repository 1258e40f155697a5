"""The tests' SMTP relay: Debian's aiosmtpd (run with /usr/bin/python3), used by every test and by make chaos and make bench.

With --cert and --key it requires STARTTLS before anything else and AUTH (over TLS only) with the
one user name and password it is given; with --implicit-tls as well, TLS starts on connect instead
(port 465 style). Without them it speaks plain SMTP and takes no AUTH, as a local relay, or one that
lacks STARTTLS, would. --stall-at GREETING|DATA makes it accept connections and then never answer
there, as a hung relay would. --discard keeps nothing and prints "ACCEPTED" for each message (the
bench only counts). Each accepted message is saved as <n>.eml in --maildir, with its
envelope and how it arrived (TLS, authenticated, the client's port) in <n>.json, written first, so a test that sees
the .eml also finds the .json. Recipients starting with --tempfail-prefix get 451 to their first
DATA (the message is saved under rejected/) and are accepted the next time.

Prints "READY" once it listens; stops when its standard input closes or it is terminated.
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--tempfail-prefix", default="")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--stall-at", choices=["GREETING", "DATA"])
    parser.add_argument("--discard", action="store_true")
    arguments = parser.parse_args()
    if not arguments.maildir and not arguments.discard:
        parser.error("--maildir is required unless --discard is given")
    return arguments


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user and auth_data.password == self.password)
        return AuthResult(success=ok, handled=False)


class Handler:
    def __init__(self, maildir, tempfail_prefix, discard=False, stall_at_data=False, implicit_tls=False):
        self.discard = discard
        # On an implicit-TLS listener every session is encrypted from the first byte; aiosmtpd's
        # session.ssl only tells of STARTTLS.
        self.implicit_tls = implicit_tls
        self.stall_at_data = stall_at_data
        self.maildir = maildir
        if not discard:
            self.rejected_dir = os.path.join(maildir, "rejected")
            os.makedirs(self.rejected_dir, exist_ok=True)
        self.tempfail_prefix = tempfail_prefix
        self.tempfailed = set()
        self.count = 0
        self.lock = threading.Lock()

    def save(self, folder, envelope, session):
        with self.lock:
            self.count += 1
            # A relay restarted on the same folder goes on after the files already there; names sort by arrival.
            name = f"{time.time_ns():020d}-{self.count:06d}"
        record = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "tls": self.implicit_tls or session.ssl is not None,
            "authenticated": bool(session.authenticated),
            # The client's port tells one connection from another.
            "peer_port": session.peer[1],
        }
        self.write(os.path.join(folder, name + ".json"), json.dumps(record).encode())
        self.write(os.path.join(folder, name + ".eml"), envelope.original_content or envelope.content)

    @staticmethod
    def write(path, data):
        # Renamed into place, so a reader never sees half a file.
        with open(path + ".tmp", "wb") as file:
            file.write(data)
        os.replace(path + ".tmp", path)

    async def handle_DATA(self, server, session, envelope):
        if self.stall_at_data:
            await asyncio.sleep(3600)
        if self.discard:
            print("ACCEPTED", flush=True)
            return "250 2.0.0 OK discarded"
        if self.tempfail_prefix:
            key = tuple(sorted(r for r in envelope.rcpt_tos if r.startswith(self.tempfail_prefix)))
            if key and key not in self.tempfailed:
                self.tempfailed.add(key)
                self.save(self.rejected_dir, envelope, session)
                return "451 4.3.0 Try again later (the test relay refuses the first try)"
        self.save(self.maildir, envelope, session)
        return "250 2.0.0 OK queued"


class StallingController(Controller):
    """Accepts connections and never sends the greeting, as a hung relay would."""

    def factory(self):
        server = super().factory()

        async def never_greet():
            await asyncio.sleep(3600)

        server._handle_client = never_greet
        return server


def main():
    arguments = parse_arguments()
    handler = Handler(arguments.maildir, arguments.tempfail_prefix, arguments.discard, arguments.stall_at == "DATA",
                      arguments.implicit_tls)
    controller_type = StallingController if arguments.stall_at == "GREETING" else Controller
    if arguments.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        authenticator = Authenticator(arguments.user, arguments.password)
        if arguments.implicit_tls:
            # AUTH is over TLS by construction here; aiosmtpd's own check knows only STARTTLS.
            controller = controller_type(handler, hostname="127.0.0.1", port=arguments.port, ssl_context=context,
                                         authenticator=authenticator, auth_required=True, auth_require_tls=False)
        else:
            controller = controller_type(handler, hostname="127.0.0.1", port=arguments.port, tls_context=context,
                                         require_starttls=True, authenticator=authenticator,
                                         auth_required=True, auth_require_tls=True)
    else:
        controller = controller_type(handler, hostname="127.0.0.1", port=arguments.port)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
