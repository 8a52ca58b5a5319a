"""Routing rules, the dry run, the fallback team and staff availability (leads and admins)."""
