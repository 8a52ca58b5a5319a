"""Service levels: response and resolution clocks on business hours.

Below: ``notifications``, ``timeline``, ``routing``. ``clocks`` starts, pauses and checks
a ticket's clocks; ``business_time`` does calendar arithmetic (used inside the package
only); ``admin`` edits policies and calendars; ``dashboard`` reports on them. The other
packages call:

- ``clocks``: inside the caller's transaction ``start_clocks``, ``responded``,
  ``customer_wrote``, ``status_changed``, ``recompute``, ``made_whole`` (the ticket and
  ledger services), ``backfill`` and ``add_default_policies`` (demo data); commit
  ``sweep`` (the job), ``seed_defaults``, ``backfill_open``; reads ``clock``,
  ``mark_text``.
- ``admin``: commit ``create_policy``, ``update_policy``, ``make_default``,
  ``create_calendar``, ``update_calendar``; reads ``list_policies``, ``list_calendars``,
  ``calendar_choices``, ``day_text``, ``holidays_text``.
- ``dashboard`` (reads): ``report``, ``drill``, ``live``, ``team_choices``,
  ``group_name``, ``key_text``, ``nearest_rank``, ``share``.
"""
