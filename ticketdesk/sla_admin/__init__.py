"""Service levels: SLA policies and business calendars (leads and administrators)."""
