"""Accounts for account managers: my accounts, each account's recovery history, and the
outcome report that measures whether recovered customers stayed."""
