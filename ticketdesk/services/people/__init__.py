"""People: staff accounts, what each role may do, their availability and sessions.

The bottom of the service packages (only ``ticketdesk.core`` below). The others call:

- ``access`` (every permission check; reads, the ``require_*`` raise
  ``PermissionDenied``): ``can_view_ticket``, ``can_work_ticket``, ``can_note_ticket``,
  ``can_see_internal_notes``, ``can_receive_notification``, ``can_view_customer``,
  ``can_edit_customer``, ``can_manage_account``, ``can_change_tier``, their
  ``require_*`` forms, ``awaits_approval_by`` (an admin reads a ticket while a remedy on
  it waits for them), ``ticket_visibility_clause``,
  ``notification_visibility_clause``; inside the caller's transaction
  ``drop_lost_watches`` (after a change of teams, roles or account managers).
- ``wording``: the waiting state and approval reasons in a sentence
  (``waits_for_approval``, ``approval_reasons_text``, ``waiting_sentence``).
- ``users``: commit ``create_user``, ``update_user``, ``update_settings``,
  ``change_password``, ``login_attempt``, ``save_team``; inside the caller's
  transaction ``new_user`` (the CLI); reads ``list_users``, ``list_teams``,
  ``team_choices``.
- ``availability``: commit ``set_away``, ``set_back``; reads ``overview``,
  ``away_ticket_count``.
- ``sessions``: commit ``end``, ``end_all``; reads ``user_for`` (the login loader),
  ``count_active``. ``start`` commits too; ``start_session`` and ``end_all_sessions`` run
  inside ``users``' transactions.
"""
