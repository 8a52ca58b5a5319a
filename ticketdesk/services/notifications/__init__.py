"""What the desk tells people: staff notifications and the e-mails to customers.

``notifications`` (in-app and e-mail notifications to staff), ``outbox`` (every e-mail,
queued and sent), ``outgoing`` (the customer's e-mails about their ticket) and
``recipients`` (who may receive them).
"""
