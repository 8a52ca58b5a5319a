"""Command-line interface: ``flask --app wsgi <command>``."""

import sys

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
    from ticketdesk.services import users as user_service
    from ticketdesk.services.errors import DomainError
    from ticketdesk.services.uow import unit_of_work

    try:
        with unit_of_work():
            user = user_service._new_user(
                user_service.UserData(email=email, name=name, role=Role(role)), password)
    except DomainError as exc:
        click.echo(f"Error ({exc.field}): {exc}", err=True)
        sys.exit(2)
    click.echo(f"Created {user.role.value} {user.email}.")


@click.command("demo-data")
@click.option("--tickets", "tickets", type=click.IntRange(min=1), default=None,
              help="Bulk-generate this many extra tickets with timelines (for benchmarks).")
@click.option("--if-empty", is_flag=True,
              help="Load the demo set only when the database has no users yet.")
@click.option("--seed", type=int, default=42, show_default=True,
              help="Random seed; the same seed gives the same data.")
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
        summary = demo.load_demo(now=now, seed=seed)
        click.echo(summary)
    if tickets:
        elapsed, count = demo.generate_bulk(count=tickets, now=now, seed=seed)
        click.echo(f"Generated {count} tickets with timelines in {elapsed:.1f} s.")
    click.echo(demo.logins_text())


@click.command("seed-playbooks")
@with_appcontext
def seed_playbooks() -> None:
    """Add the shipped default playbooks that are missing; existing ones stay as they are."""
    from ticketdesk.services import playbook_defaults

    added = playbook_defaults.seed_playbooks(now=utcnow())
    click.echo(f"Added {added} shipped playbook{'' if added == 1 else 's'}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_data)
    app.cli.add_command(seed_playbooks)
