"""Configuration classes. Values come from environment variables with safe defaults.

Any single value can also be overridden with a ``TICKETDESK_`` prefixed variable
(``TICKETDESK_MAX_ATTACHMENT_BYTES=5000000``); see ``create_app``.
"""

import os
from datetime import timedelta

# The signing key once shipped for development: anyone could forge sessions with it, so
# production refuses it. Without SECRET_KEY, development uses a random key generated on
# first run into instance/secret_key (see create_app).
DEV_SECRET_KEY = "dev-only-not-secret"

# Where the development server listens when HOST and PORT are not given (the Makefile's
# defaults too).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
# Hosts that mean "every interface": a link cannot point there, so links use 127.0.0.1.
_ANY_INTERFACE = frozenset({"0.0.0.0", "::", "[::]", "*"})


def base_url_from(environ) -> str:
    """Where links in e-mails point: ``BASE_URL`` when given (not blank), else
    ``http://HOST:PORT`` from the address the server listens on.

    HOST is 127.0.0.1 when unset, blank or a listen-everywhere address (0.0.0.0, ::);
    an IPv6 address is put in brackets. PORT is 5000 when unset or not a port number
    (1-65535). `make run` exports HOST and PORT to the web server and the scheduler, so
    `make run PORT=5101` gives links on port 5101. Never raises.
    """
    given = (environ.get("BASE_URL") or "").strip()
    if given:
        return given
    host = (environ.get("HOST") or "").strip() or DEFAULT_HOST
    if host in _ANY_INTERFACE:
        host = DEFAULT_HOST
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port_text = (environ.get("PORT") or "").strip()
    port = (
        int(port_text)
        if port_text.isascii() and port_text.isdigit() and 1 <= int(port_text) <= 65535
        else DEFAULT_PORT
    )
    return f"http://{host}:{port}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # A relative SQLite path lies in the instance folder: instance/ in a checkout,
    # <prefix>/var/ticketdesk-instance when installed from a wheel (see create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///ticketdesk.db")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Session cookie hardening.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ["en"]

    PASSWORD_HASH_METHOD = "scrypt"

    # Money and intake.
    DEFAULT_CURRENCY = "EUR"
    QUEUE_PAGE_SIZE = 25

    # Attachments: stored under instance/attachments, served to staff only.
    MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
    MAX_ATTACHMENTS_PER_UPLOAD = 5
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024

    # Compensation defaults, used where a ticket has no playbook or a playbook sets no limit.
    # Amounts: a plain number counts in each ticket's own currency (500 is 500 EUR on an EUR
    # ticket, 500 JPY on a JPY ticket); a mapping such as {"EUR": 500, "JPY": 70000} sets
    # one per currency, and a currency it leaves out has none (zero; no small orders).
    GOODWILL_AGENT_LIMIT = 50  # an agent grants alone up to the loss or this, the larger
    EVIDENCE_THRESHOLD = 100  # claims up to this value need no proof
    GOODWILL_DEFAULT_PERCENT = 20
    COMPENSATION_CAP_PERCENT = 150  # of the cap base; past it compensation stops helping
    SMALL_ORDER_LIMIT = 500  # orders up to this value use the whole order as cap base
    TIER_AUTHORITY_DAYS = 90  # approvals use the highest tier held in this window
    REPEAT_FAILURE_DAYS = 90  # a second failure within this window raises the stakes
    NO_PROOF_WINDOW_DAYS = 90  # the no-proof fast path, once per customer per window
    ARGUMENT_LOOP_REPLIES = 2  # replies before any remedy that trigger a warning

    # Public complaint form: submissions per IP address per window.
    PUBLIC_RATE_LIMIT = 5
    PUBLIC_RATE_WINDOW_SECONDS = 3600

    # The customer's private link: messages per link and per client address, and files
    # per link, within a sliding window.
    FOLLOW_UP_POSTS_PER_LINK = 10
    FOLLOW_UP_POSTS_PER_ADDRESS = 30
    FOLLOW_UP_FILES_PER_LINK = 20
    FOLLOW_UP_RATE_WINDOW_SECONDS = 3600

    # Links in e-mails point here (scheme, host and any path prefix of the web app):
    # BASE_URL when given, else http://HOST:PORT (see base_url_from).
    BASE_URL = base_url_from(os.environ)

    # Outgoing e-mail. Without MAIL_SERVER, e-mails are written to the log instead.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the start (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "TicketDesk <ticketdesk@localhost>"
    MAIL_TIMEOUT = 10
    # The desk's mailbox: customers' answers go here (Reply-To). Empty: MAIL_FROM's address.
    MAIL_REPLY_TO = ""
    # Further addresses that are the desk's own (comma separated): mail from them is never
    # answered, so two desks cannot answer each other for ever.
    MAIL_OWN_ADDRESSES = ""

    # Incoming e-mail: the mailbox `flask mail poll` (and the scheduler, every run) reads.
    # IMAP_SECURITY is "ssl" (TLS from the start, port 993) or "starttls" (port 143);
    # IMAP_CA_FILE trusts a private certificate authority. Without IMAP_HOST nothing is polled.
    IMAP_HOST: str | None = None
    IMAP_PORT = 993
    IMAP_SECURITY = "ssl"
    IMAP_CA_FILE: str | None = None
    IMAP_USER: str | None = None
    IMAP_PASSWORD: str | None = None
    IMAP_FOLDER = "INBOX"
    # Where a stored message is moved; empty: it is flagged \Seen and \Deleted, then expunged.
    IMAP_DONE_FOLDER = "TicketDesk/Done"
    IMAP_BATCH = 50
    IMAP_TIMEOUT = 30
    # A received message larger than this is held, not read.
    MAIL_MAX_MESSAGE_BYTES = 40 * 1024 * 1024
    # New tickets opened by e-mail per sender address per hour; further ones are held.
    MAIL_NEW_TICKETS_PER_SENDER = 5

    # Notifications: how often open pages ask for new ones, and the gap between
    # reminders about the same overdue playbook step.
    NOTIFICATION_POLL_SECONDS = 30
    STEP_REMINDER_MINUTES = 60

    # Background jobs (`flask scheduler run`, a process of its own): they run every
    # SCHEDULER_INTERVAL_SECONDS in the one process holding the database lease; it renews
    # the lease on every run and before each unit of work in it (each job, each e-mail),
    # and a waiting process takes over once the lease has gone
    # SCHEDULER_LEASE_SECONDS without renewal. Keep the lease longer than the interval.
    SCHEDULER_INTERVAL_SECONDS = 60
    SCHEDULER_LEASE_SECONDS = 90

    # Response headers (ticketdesk/http_headers.py). Referrer-Policy of pages without a
    # token in their address; pages with one always send no-referrer. HSTS_SECONDS > 0
    # sends Strict-Transport-Security: only where the site is served over HTTPS.
    REFERRER_POLICY = "same-origin"
    HSTS_SECONDS = 0

    # Failed logins per e-mail address, and per client address (password spraying across
    # many accounts), within a window before a pause. The session lifetimes above are also
    # enforced on the server: PERMANENT_SESSION_LIFETIME for a plain login,
    # REMEMBER_COOKIE_DURATION for "keep me logged in".
    LOGIN_RATE_LIMIT = 10
    LOGIN_RATE_WINDOW_SECONDS = 900
    LOGIN_ADDRESS_RATE_LIMIT = 50
    LOGIN_ADDRESS_RATE_WINDOW_SECONDS = 900

    @classmethod
    def validate(cls) -> None:
        """Refuse unsafe settings; a no-op except in production."""


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TICKETDESK_TEST_DATABASE_URL") or "sqlite://"
    WTF_CSRF_ENABLED = False
    PUBLIC_RATE_LIMIT = 1000
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "true").lower() != "false"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    HSTS_SECONDS = 365 * 24 * 3600

    @classmethod
    def validate(cls) -> None:
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEV_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set to a random value in production.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
