"""Playbooks: the resolve-first checklist each ticket follows.

Below: ``people``, ``timeline``. ``engine`` chooses a ticket's playbook and runs its
steps; ``admin`` is the editor's side (versions, conditions, steps); ``shipped`` holds
the playbooks the desk ships with. The other packages call:

- ``engine``: commit ``complete_step``, ``reopen_step``, ``switch_playbook``; inside the
  caller's transaction ``attach_best`` (intake), ``attach_version``, ``switch_version``,
  ``mark_done`` (demo data), ``record_reply`` (a public reply ticks its steps),
  ``record_delivery`` (the ledger: a delivered remedy ticks its step),
  ``close_recurring``, ``reopen_recurring`` (the status machine); reads
  ``check_can_close`` (raises), ``checklist``, ``candidates``, ``choose_version``,
  ``suggested_switch``, ``version_label``, ``overdue_counts``.
- ``admin``: commit ``create_playbook``, ``update_playbook``, ``set_active``,
  ``make_default``; reads ``list_playbooks``, ``get_playbook``, ``preview``,
  ``visible_rows``, ``order_steps``, ``spec_from_version``,
  ``open_ticket_counts_by_version``.
- ``shipped``: commit ``seed_playbooks``; inside the caller's transaction ``add_shipped``;
  reads ``purpose_of``.
"""
