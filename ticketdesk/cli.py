"""Command-line interface: ``flask --app wsgi <command>``."""

import logging
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Role, User

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_create(email: str, name: str, role: str, password: str) -> None:
    """Create a staff user (the first administrator, for instance)."""
    from ticketdesk.core.errors import DomainError
    from ticketdesk.core.uow import unit_of_work
    from ticketdesk.services.people import users as user_service

    try:
        with unit_of_work():
            user = user_service.new_user(
                user_service.UserData(email=email, name=name, role=Role(role)), password
            )
    except DomainError as exc:
        click.echo(f"Error ({exc.field}): {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created {user.role.value} {user.email}.")


@click.command("demo-data")
@click.option(
    "--tickets",
    "tickets",
    type=click.IntRange(min=1),
    default=None,
    help="Bulk-generate this many extra tickets with timelines (for benchmarks).",
)
@click.option(
    "--if-empty", is_flag=True, help="Load the demo set only when the database has no users yet."
)
@click.option(
    "--seed",
    type=int,
    default=42,
    show_default=True,
    help="Random seed; the same seed gives the same data.",
)
@with_appcontext
def demo_data(tickets: int | None, if_empty: bool, seed: int) -> None:
    """Load the deterministic demo data set and print the demo logins."""
    from ticketdesk import demo

    has_users = db.session.scalar(sa.select(sa.func.count(User.id))) > 0
    now = utcnow()
    if has_users and if_empty:
        click.echo("Database already has data; demo data not loaded.")
    elif has_users and tickets is None:
        click.echo("Database already has data; refusing to load the demo set twice.", err=True)
        sys.exit(1)
    elif not has_users:
        from ticketdesk.demo import mail as demo_mail

        summary = demo.load_demo(now=now, seed=seed)
        click.echo(summary)
        # Today's mailbox, taken in as real mail is (new tickets, answers, held mail).
        click.echo(demo_mail.load(now=utcnow()))
    if tickets:
        elapsed, count = demo.generate_bulk(count=tickets, now=now, seed=seed)
        click.echo(f"Generated {count} tickets with timelines in {elapsed:.1f} s.")
    click.echo(demo.logins_text())


@click.command("seed-playbooks")
@with_appcontext
def seed_playbooks() -> None:
    """Add the shipped default playbooks that are missing; existing ones stay as they are."""
    from ticketdesk.services.playbooks import shipped as playbook_defaults

    added = playbook_defaults.seed_playbooks(now=utcnow())
    click.echo(f"Added {added} shipped playbook{'' if added == 1 else 's'}.")


@click.command("seed-routing")
@with_appcontext
def seed_routing() -> None:
    """Add the shipped default routing rules to a database that has none."""
    from ticketdesk.services.routing import rules as routing_rules

    added = routing_rules.seed_default_rules(now=utcnow())
    if added:
        click.echo(f"Added {added} default routing rule{'' if added == 1 else 's'}.")
    else:
        click.echo("Added 0 default routing rules (rules already exist).")


@click.command("seed-sla")
@click.option(
    "--timezone",
    default="Europe/Berlin",
    show_default=True,
    help="Timezone of the shipped office-hours calendar.",
)
@with_appcontext
def seed_sla(timezone: str) -> None:
    """Add the shipped office hours and SLA policies to a database that has no policy,
    and give open tickets without a policy theirs."""
    from ticketdesk.services.sla import clocks as sla

    added = sla.seed_defaults(now=utcnow(), timezone=timezone)
    click.echo(
        f"Added {added} SLA policies."
        if added
        else "Added 0 SLA policies (policies already exist)."
    )
    filled = sla.backfill_open(now=utcnow())
    if filled:
        click.echo(f"Gave {filled} open tickets their SLA policy and due times.")


@click.command("sla-sweep")
@with_appcontext
def sla_sweep() -> None:
    """Mark tickets at risk or breached now and escalate (what the scheduler runs each minute)."""
    from ticketdesk.services.sla import clocks as sla

    click.echo(str(sla.sweep(now=utcnow())))


@click.command("import-orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_orders(file: Path) -> None:
    """Import customers' orders from a CSV file (customer_ref,order_ref,ordered_on,amount,
    currency): all or nothing, safe to run twice. Exit code 1 when the file has errors."""
    from ticketdesk.core.errors import DomainError
    from ticketdesk.services.customers import orders

    with file.open("rb") as fh:
        data = fh.read(orders.MAX_IMPORT_BYTES + 1)
    try:
        result = orders.import_csv(data, actor=None, now=utcnow())
    except DomainError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if result.errors:
        for error in result.shown_errors:
            click.echo(str(error), err=True)
        if result.more_errors:
            click.echo(f"... and {result.more_errors} more.", err=True)
        click.echo("Nothing was imported.", err=True)
        sys.exit(1)
    click.echo(f"Imported {result.added} orders ({result.already_there} already there).")


loyalty_cli = AppGroup("loyalty", help="Judge recoveries and follow loyalty candidates.")


@loyalty_cli.command("run")
def loyalty_run() -> None:
    """Judge the recoveries whose reopen window has passed; move candidates to retained or
    lapsed (the scheduler does this once a day)."""
    from ticketdesk.services.recovery import loyalty

    click.echo(loyalty.run_daily(now=utcnow()))


notify_cli = AppGroup("notify", help="In-app notifications and reminders.")


@notify_cli.command("run-due")
def notify_run_due() -> None:
    """Remind people of their overdue playbook steps (at most hourly per ticket)."""
    from ticketdesk.services.notifications import notifications

    given = notifications.run_due(now=utcnow())
    click.echo(f"Gave {given} reminder{'' if given == 1 else 's'}.")


outbox_cli = AppGroup("outbox", help="Outgoing e-mail: send what is due, or show the queue.")


@outbox_cli.command("send")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Send at most this many messages in this run.",
)
def outbox_send(limit: int) -> None:
    """Send the queued e-mails that are due. Exit code 1 when one failed for good."""
    from ticketdesk.services.notifications import outbox

    # Without SMTP the messages are written to the log: make sure INFO reaches stderr.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    report = outbox.send_due(now=utcnow(), limit=limit)
    click.echo(report.summary())
    if report.failed:
        sys.exit(1)


@outbox_cli.command("status")
def outbox_status() -> None:
    """Show where e-mail goes and how many messages are in each state."""
    from ticketdesk.services.notifications import outbox

    click.echo(f"Mail transport: {outbox.transport_description()}")
    for state, count in outbox.counts().items():
        click.echo(f"{state.value}: {count}")


@outbox_cli.command("transport")
def outbox_transport() -> None:
    """Say where e-mail goes, where its links point and where to read every message,
    without touching the database."""
    for line in _transport_lines():
        click.echo(line)


def _transport_lines() -> list[str]:
    from flask import current_app

    from ticketdesk.core import links
    from ticketdesk.services.notifications import outbox

    return [
        f"Mail transport: {outbox.transport_description()}",
        f"Links in e-mails point to {current_app.config['BASE_URL']}",
        f"Every e-mail, sent or not, is on the outbox page: "
        f"{links.external_url('admin.outbox')} (administrators)",
    ]


@click.command("prepare")
@click.pass_context
@with_appcontext
def prepare(ctx: click.Context) -> None:
    """Make the database ready to serve, in one process: apply the migrations, add the
    shipped playbooks, the demo data when the database is empty, the default routing rules
    and SLA policies, then say where e-mail goes (what `make run` does before serving).

    The same output and exit status as `db upgrade`, `seed-playbooks`,
    `demo-data --if-empty`, `seed-routing`, `seed-sla` and `outbox transport` run one after
    the other (the last one's lines marked ``==>``, as `make run` shows them); it stops at
    the first step that fails. Each step is safe to run again.
    """
    from flask_migrate import upgrade

    upgrade()
    ctx.invoke(seed_playbooks)
    ctx.invoke(demo_data, if_empty=True)
    ctx.invoke(seed_routing)
    ctx.invoke(seed_sla)
    for line in _transport_lines():
        click.echo(f"==> {line}")


mail_cli = AppGroup(
    "mail",
    help="Incoming e-mail: take one message from the mail server, or fetch the desk's mailbox.",
)

# Exit statuses of `mail ingest` and `mail poll` (sysexits.h, which mail servers read).
EX_OK, EX_DATAERR, EX_SOFTWARE, EX_TEMPFAIL, EX_CONFIG = 0, 65, 70, 75, 78


@mail_cli.command("ingest")
def mail_ingest() -> None:
    """Store one RFC 5322 message read from stdin (for a mail server's pipe).

    Exit status 0 once it is stored (also when it was stored before), 75 when the
    database cannot be reached (the mail server keeps it and tries again), 65 for empty
    input, 70 for anything unexpected (the mail server keeps it too).
    """
    from ticketdesk.core.uow import is_database_unavailable
    from ticketdesk.models import InboundSource
    from ticketdesk.services.mail import inbound

    raw = sys.stdin.buffer.read()
    if not raw.strip():
        click.echo("mail ingest: the message on standard input is empty; nothing stored.", err=True)
        sys.exit(EX_DATAERR)
    try:
        stored = inbound.ingest(raw, source=InboundSource.PIPE, now=utcnow())
    except Exception as exc:  # every failure becomes an exit status
        db.session.rollback()
        # Storing commits before acting on the message: when acting on it failed, the
        # message is safe (the next poll or scheduler run acts on it), so say "stored".
        try:
            stored_before = inbound.find_stored(raw)
        except Exception:  # noqa: BLE001 - the database is gone: answered below
            stored_before = None
        if stored_before is not None:
            logging.getLogger("ticketdesk.mail").exception(
                "Message %s stored, but acting on it failed; it waits for the next run",
                stored_before.id,
            )
            click.echo(
                f"Stored as inbound message {stored_before.id}; acting on it failed "
                f"({type(exc).__name__}), it waits for the next run.",
                err=True,
            )
            sys.exit(EX_OK)
        if is_database_unavailable(exc):
            click.echo(
                f"mail ingest: the database is unavailable, try again later: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                err=True,
            )
            sys.exit(EX_TEMPFAIL)
        logging.getLogger("ticketdesk.mail").exception("mail ingest failed")
        click.echo(f"mail ingest: not stored: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EX_SOFTWARE)
    click.echo(
        f"{'Stored' if stored.created else 'Already stored'} as inbound message "
        f"{stored.mail.id} ({stored.mail.state.value})."
    )


@mail_cli.command("poll")
def mail_poll() -> None:
    """Fetch the desk's IMAP mailbox once (what the scheduler does every run).

    Exit status 0 when the run finished (messages that failed stay in the mailbox for
    the next run and are listed), 75 when the server or the database cannot be reached
    or refuses the login, 78 when no mailbox is configured (IMAP_HOST).
    """
    from ticketdesk.core.uow import is_database_unavailable
    from ticketdesk.services.mail import imap

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        report = imap.poll(now=utcnow())
    except imap.MailboxNotConfigured as exc:
        click.echo(f"mail poll: {exc}", err=True)
        sys.exit(EX_CONFIG)
    except imap.MailboxError as exc:
        click.echo(f"mail poll: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    except Exception as exc:  # every failure becomes an exit status
        if is_database_unavailable(exc):
            click.echo(f"mail poll: the database is unavailable: {type(exc).__name__}", err=True)
            sys.exit(EX_TEMPFAIL)
        logging.getLogger("ticketdesk.mail").exception("mail poll failed")
        click.echo(f"mail poll: failed: {type(exc).__name__}: {exc}", err=True)
        sys.exit(EX_SOFTWARE)
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"  {error}", err=True)


scheduler_cli = AppGroup("scheduler", help="Background jobs: run them in their own process.")


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the background jobs until Ctrl-C or SIGTERM; a second process waits its turn."""
    import signal

    from flask import current_app

    from ticketdesk import scheduler as background

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no line per run
    app = current_app._get_current_object()
    holder = background.holder_id()
    scheduler = background.build_scheduler(app, holder=holder)
    click.echo(
        f"Scheduler {holder}: runs the jobs every {background.interval_seconds(app)} s "
        f"while it holds the lease '{background.LEASE_NAME}'. A second scheduler process "
        f"waits and takes over once this one stops or its lease expires "
        f"({background.lease_seconds(app)} s). Ctrl-C stops it."
    )

    def _stop(signum, _frame):
        raise SystemExit(128 + signum)

    # SIGTERM (kill, `make run` stopping it) ends the process like Ctrl-C does. A process
    # started in the background by a shell ignores SIGINT; keep it that way.
    signal.signal(signal.SIGTERM, _stop)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)  # waits for a running tick, then releases the lease
    click.echo(f"Scheduler {holder} stopped.")


@scheduler_cli.command("status")
def scheduler_status() -> None:
    """Show which process holds the scheduler lease, and until when."""
    from ticketdesk import scheduler as background
    from ticketdesk.core import lease

    held = lease.current(background.LEASE_NAME)
    if held is None:
        click.echo("No scheduler holds the lease: no background jobs are running.")
    elif not held.is_valid(utcnow()):
        click.echo(
            f"No scheduler holds the lease: {held.holder} let it expire at "
            f"{held.expires_at.isoformat(timespec='seconds')}."
        )
    else:
        since, until, beat = (
            value.isoformat(timespec="seconds")
            for value in (held.acquired_at, held.expires_at, held.heartbeat_at)
        )
        click.echo(
            f"Held by {held.holder} since {since}, expires {until} unless renewed "
            f"(last renewed {beat})."
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_data)
    app.cli.add_command(seed_playbooks)
    app.cli.add_command(seed_routing)
    app.cli.add_command(seed_sla)
    app.cli.add_command(prepare)
    app.cli.add_command(sla_sweep)
    app.cli.add_command(import_orders)
    app.cli.add_command(loyalty_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(scheduler_cli)
