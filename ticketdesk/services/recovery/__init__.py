"""Recovery: whether a complaint turned into a loyal customer.

Below: ``people``, ``notifications``, ``timeline``, ``ledger``. The customer's answer to
a survey, which may reopen the ticket, is a ticket use case (``tickets.survey_answers``).
The other packages call:

- ``surveys``: inside the caller's transaction ``send_on_resolve`` (the resolution);
  reads ``open_survey``, ``is_open``, ``latest_for``, ``token_for``, ``survey_url``,
  ``score_text``, ``already_answered_error``, ``superseded_error``.
- ``loyalty``: commit ``run_daily`` (the job); reads ``follow_up``.
- ``outcomes``: reads ``report``.
- ``rules`` (the recovery rules row): commit ``update``; reads ``current``, ``limits``.
- ``accounts``: reads ``my_accounts``, ``get_account``, ``history``, ``manager_choices``,
  ``can_view``, ``require_view``.
- ``segments``: commit ``set_override``; reads ``can_override``.
"""
