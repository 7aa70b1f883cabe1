"""A real SMTP server for the tests (aiosmtpd): stores every accepted message as JSON.

Usage: smtp_server.py OUTPUT_DIR [USERNAME PASSWORD]

Prints "PORT <n>" once listening and runs until its standard input closes, so it ends with
the test process that started it. Recipients steer failures:
  reject…@   -> 550 at RCPT (permanent)
  deferN…@   -> 451 at RCPT the first N times for that address, then accepted (transient)
Each accepted message becomes OUTPUT_DIR/<n>.json with the envelope, the headers and the
decoded text/plain and text/html parts and each attachment's name, type, size and SHA-256,
parsed by Python's email package.
"""

import email
import hashlib
import email.policy
import json
import os
import re
import socket
import sys
import threading
from collections import Counter

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0
        self.deferred = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 Mailbox unavailable"
        match = re.match(r"defer(\d+)", local)
        if match:
            with self.lock:
                self.deferred[address] += 1
                if self.deferred[address] <= int(match.group(1)):
                    return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        attachments = []
        for part in message.walk():
            if part.is_attachment():
                payload = part.get_payload(decode=True)
                attachments.append({
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "sha256": hashlib.sha256(payload).hexdigest(),
                    "size": len(payload),
                })
            elif part.get_content_maintype() == "text":
                parts.setdefault(part.get_content_type(), part.get_content())
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "headers": [[key, str(value)] for key, value in message.items()],
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
            "content_type": message.get_content_type(),
            "attachments": attachments,
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.out_dir, f"{self.count:06d}.json")
        with open(name + ".tmp", "w") as handle:
            json.dump(record, handle)
        os.rename(name + ".tmp", name)
        return "250 Message accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    out_dir = sys.argv[1]
    credentials = sys.argv[2:4] if len(sys.argv) >= 4 else None

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            credentials is not None
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == credentials[0]
            and auth_data.password.decode() == credentials[1]
        )
        # handled=False: aiosmtpd answers the failure itself (535).
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        Handler(out_dir),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=credentials is not None,
        auth_require_tls=False,
    )
    controller.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
