"""A real SMTP relay for the notification tests: Debian's aiosmtpd (run with /usr/bin/python3).

With --cert and --key it requires STARTTLS before anything else and AUTH (over TLS only) with the
one user name and password it is given. Without them it speaks plain SMTP and takes no AUTH, as a
relay that lacks STARTTLS would. Each accepted message is saved as <n>.eml in --maildir, with its
envelope and how it arrived (TLS, authenticated, the client's port) in <n>.json, written first, so a test that sees
the .eml also finds the .json. Recipients starting with --tempfail-prefix get 451 to their first
DATA (the message is saved under rejected/) and are accepted the next time.

Prints "READY" once it listens; stops when its standard input closes or it is terminated.
"""
import argparse
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def parse_arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--tempfail-prefix", default="")
    return parser.parse_args()


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.user and auth_data.password == self.password)
        return AuthResult(success=ok, handled=False)


class Handler:
    def __init__(self, maildir, tempfail_prefix):
        self.maildir = maildir
        self.rejected_dir = os.path.join(maildir, "rejected")
        os.makedirs(self.rejected_dir, exist_ok=True)
        self.tempfail_prefix = tempfail_prefix
        self.tempfailed = set()
        self.count = 0
        self.lock = threading.Lock()

    def save(self, folder, envelope, session):
        with self.lock:
            self.count += 1
            name = f"{self.count:05d}"
        record = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "tls": session.ssl is not None,
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
        if self.tempfail_prefix:
            key = tuple(sorted(r for r in envelope.rcpt_tos if r.startswith(self.tempfail_prefix)))
            if key and key not in self.tempfailed:
                self.tempfailed.add(key)
                self.save(self.rejected_dir, envelope, session)
                return "451 4.3.0 Try again later (the test relay refuses the first try)"
        self.save(self.maildir, envelope, session)
        return "250 2.0.0 OK queued"


def main():
    arguments = parse_arguments()
    os.makedirs(arguments.maildir, exist_ok=True)
    handler = Handler(arguments.maildir, arguments.tempfail_prefix)
    if arguments.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(arguments.cert, arguments.key)
        controller = Controller(
            handler, hostname="127.0.0.1", port=arguments.port,
            tls_context=context, require_starttls=True,
            authenticator=Authenticator(arguments.user, arguments.password),
            auth_required=True, auth_require_tls=True)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=arguments.port)
    controller.start()
    print("READY", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
