"""Playbook management screens for team leads and administrators."""
