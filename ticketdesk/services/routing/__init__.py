"""Routing: which team and person a new ticket goes to.

Below: ``notifications``, ``timeline``. ``engine`` applies the rules to a ticket;
``rules`` is the editor's side. The other packages call:

- ``engine``: inside the caller's transaction ``route`` (intake, re-routing, SLA
  escalation); reads ``decide`` (the dry run), ``list_rules``, ``fallback_team``,
  ``team_leads``.
- ``rules``: commit ``create_rule``, ``update_rule``, ``delete_rule``, ``move_rule``,
  ``set_fallback_team``, ``seed_default_rules``; inside the caller's transaction
  ``add_default_rules`` (demo data); reads ``parse_keywords``.
"""
