"""A real Dovecot IMAP server for the tests (``.ci/dovecot.sh``), and a client to put
messages into its mailbox and look at what the desk left there.

``start_dovecot(directory)`` starts one and returns a ``MailServer``; ``stop()`` stops it
and removes its directory. Tests skip, saying why, when Dovecot is not installed.
"""

import imaplib
import os
import re
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOVECOT = "/usr/sbin/dovecot"
SCRIPT = ROOT / ".ci" / "dovecot.sh"


@dataclass
class MailServer:
    directory: Path
    host: str
    starttls_port: int
    ssl_port: int
    user: str
    password: str
    ca_file: str

    # ------------------------------------------------------------- the app side ---

    def settings(self, security: str = "starttls", **overrides) -> dict:
        """The app's IMAP_* settings for this server."""
        port = self.starttls_port if security == "starttls" else self.ssl_port
        return {
            "IMAP_HOST": self.host,
            "IMAP_PORT": port,
            "IMAP_SECURITY": security,
            "IMAP_CA_FILE": self.ca_file,
            "IMAP_USER": self.user,
            "IMAP_PASSWORD": self.password,
            "IMAP_FOLDER": "INBOX",
            "IMAP_DONE_FOLDER": "TicketDesk/Done",
            "IMAP_BATCH": 50,
            "IMAP_TIMEOUT": 10,
            **overrides,
        }

    # ------------------------------------------------------ the mailbox itself ---

    def connect(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=self.ca_file)
        conn = imaplib.IMAP4_SSL(self.host, self.ssl_port, ssl_context=context, timeout=10)
        conn.login(self.user, self.password)
        return conn

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages into a folder (IMAP APPEND), unread, as a mail server would."""
        conn = self.connect()
        try:
            for raw in messages:
                typ, data = conn.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def folders(self) -> list[str]:
        conn = self.connect()
        try:
            typ, data = conn.list('""', "*")
            assert typ == "OK", data
            names = []
            for line in data:
                match = re.match(rb'^\([^)]*\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
                names.append(match.group("name").strip(b'"').decode())
            return sorted(names)
        finally:
            conn.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[bytes, set[str]]]:
        """(raw message, flags) of each message in the folder, deleted ones left out."""
        conn = self.connect()
        try:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            assert typ == "OK", data
            typ, data = conn.uid("SEARCH", None, "UNDELETED")
            found = []
            for uid in data[0].split():
                typ, parts = conn.uid("FETCH", uid, "(FLAGS BODY.PEEK[])")
                header, raw = next(p for p in parts if isinstance(p, tuple))
                flags = set(re.search(rb"FLAGS \(([^)]*)\)", header).group(1).decode().split())
                found.append((raw, flags))
            return found
        finally:
            conn.logout()

    def clear(self) -> None:
        """Empty the mailbox: no messages in INBOX, no other folder."""
        conn = self.connect()
        try:
            typ, data = conn.select("INBOX")
            if int(data[0]):
                conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                conn.expunge()
            conn.close()
            typ, data = conn.list('""', "*")
            names = [
                re.match(rb'^\([^)]*\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
                .group("name")
                .strip(b'"')
                .decode()
                for line in data
            ]
            for name in sorted(names, key=len, reverse=True):  # children first
                if name.upper() != "INBOX":
                    conn.delete(f'"{name}"')
        finally:
            conn.logout()

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(self.directory)], capture_output=True, timeout=30
        )


def start_dovecot(directory: Path, *, capability: str | None = None) -> MailServer:
    """Start a throwaway Dovecot in ``directory`` (skips the test without Dovecot)."""
    if not os.path.exists(DOVECOT):
        pytest.skip(f"Dovecot is not installed ({DOVECOT}; apt-get install dovecot-imapd)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    env = dict(os.environ)
    if capability is not None:
        env["TICKETDESK_DOVECOT_CAPABILITY"] = capability
    done = subprocess.run(
        ["bash", str(SCRIPT), "start", str(directory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"Dovecot did not start:\n{done.stderr}")
    values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    return MailServer(
        directory=directory,
        host=values["IMAP_HOST"],
        starttls_port=int(values["IMAP_STARTTLS_PORT"]),
        ssl_port=int(values["IMAP_SSL_PORT"]),
        user=values["IMAP_USER"],
        password=values["IMAP_PASSWORD"],
        ca_file=values["IMAP_CA_FILE"],
    )
