"""Accounts for account managers: my accounts, each account's recovery history, and the
outcome report that measures whether recovered customers stayed."""

from ticketdesk.accounts import report  # noqa: F401 - routes
