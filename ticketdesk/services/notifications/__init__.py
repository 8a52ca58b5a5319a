"""What the desk tells people: staff notifications, and the outbox every e-mail leaves by.

Below: ``people`` (the access rule). ``timeline`` and every domain above call:

- ``notifications``: inside the caller's transaction ``notify`` and the notification of
  each occasion (``ticket_changed``, ``assigned``, ``routed``, ``watching``,
  ``customer_replied``, ``mail_bounced``, ``account_crisis``, ``approval_waiting``,
  ``approval_decided``, ``approval_closed``); commit ``set_email_choices``,
  ``mark_read``, ``mark_all_read``, ``run_due`` (the reminders job); reads
  ``email_choices``, ``list_for``, ``latest_unread``, ``unread_count``, ``snippet``.
- ``outbox``: inside the caller's transaction ``enqueue``; commit ``send_due`` (the
  sending job) and ``retry`` (an admin); reads ``list_messages``, ``get_message``,
  ``preview``, ``counts``, ``state_counts``, ``cc_list``, ``clean_header``,
  ``desk_mailbox``, ``smtp_configured``, ``transport_description``.
- ``recipients`` (who may receive a ticket's customer e-mails, checked again when the
  outbox sends; reads only): ``recipients``, ``allowed_addresses``, ``cc_contacts``,
  ``cc_candidates``, ``contact_address``.
"""
