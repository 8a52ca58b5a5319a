"""The compensation ledger: every remedy proposed, approved, delivered or refused.

Below: ``people``, ``notifications``, ``timeline``, ``customers``, ``sla``. The other
packages call ``remedies``:

- commit (one transaction each): ``propose_remedy``, ``approve_remedy``,
  ``reject_remedy``, ``withdraw_remedy``, ``deliver_remedy``;
- inside the caller's transaction: ``add_remedy``, ``approve`` and ``deliver`` (the demo
  data), ``check_goodwill_given`` (raises before a ticket resolves without the goodwill
  the rules require; ``tickets.lifecycle``);
- reads: ``suggest``, ``rules_for``, ``approval_need`` (the role and why),
  ``required_role``, ``totals``, ``claim_known``, ``affected_value``,
  ``fast_path``, ``goodwill_required``, ``argument_loop``, ``tier_rank``,
  ``pending_approvals``, ``my_decided``, ``customer_totals``, ``period_report``.
"""
