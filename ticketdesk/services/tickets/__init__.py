"""Tickets: how a complaint enters the desk and is worked until it is closed.

Below: every package but ``mail``. ``intake`` (staff and public forms), ``conversation``
(replies, notes, customer messages), ``lifecycle`` (the status machine, inside the
caller's transaction; ``set_status`` and ``reopen`` are for this package), ``workflow``
(status changes and what a resolution sends), ``outgoing`` (every e-mail to the
customer, and who is copied), ``survey_answers`` (the customer's answer to a survey),
``assignment`` (owners and watchers), ``editing`` (categorisation), ``queue`` and
``search`` (finding tickets), ``attachments``, ``categories``, ``review`` (tickets held
for a person to confirm), ``guards`` (words a reply should not use) and ``common``
(helpers shared by these modules). The other packages call:

- commit (one transaction each): ``intake.log_complaint``,
  ``intake.receive_public_complaint``, ``conversation.reply``, ``add_note``,
  ``add_attachments``, ``log_customer_message``, ``workflow.change_status``,
  ``assignment.assign``, ``assign_to_me``, ``reroute``, ``reroute_many``, ``watch``,
  ``unwatch``, ``editing.update_details``, ``review.confirm_contact``, ``move_ticket``,
  ``outgoing.resend_private_link``, ``add_cc``, ``remove_cc``, ``survey_answers.answer``,
  ``categories.save_category``;
- inside the caller's transaction (received mail and the demo data): ``intake.new_ticket``,
  ``after_intake``, ``conversation.customer_message``, ``workflow.move``,
  ``common.event``, ``common.attach``, ``categories.add_default_categories``, and
  ``attachments.discard_files`` (removes the files of a transaction that failed);
- reads: ``queue.list_tickets``, ``list_customer_tickets``, ``scopes_for``,
  ``default_scope``, ``conversation.ticket_by_token``, ``timeline``,
  ``lifecycle.allowed_statuses``, ``outgoing.deliveries``, ``review.needs_review``,
  ``customer_choices``, ``assignment.watchers``, ``assignable_users``,
  ``assignable_choices``, ``categories.list_categories``, ``category_choices``,
  ``intake.fallback_category``, ``attachments.check_upload``, ``stored_path``,
  ``size_text``, ``guards.pejorative_terms``, ``search.include_name``.
"""
