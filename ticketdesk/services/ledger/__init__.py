"""The compensation ledger: every remedy proposed, approved, delivered or refused.

``remedies`` holds the remedy use cases, the goodwill caps and approvals.
"""
