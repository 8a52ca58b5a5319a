"""The e-mail channel in: what the desk receives from customers.

``parse`` reads one raw message into a ``ParsedMail`` (with ``charsets`` and
``quoting``); ``inbound`` stores each message received once and acts on it (a new
ticket, a message on one, a bounce, or held for an admin); ``imap`` fetches the desk's
mailbox. What the customer receives is composed in ``tickets.outgoing`` and sent by
``notifications.outbox``. The top of the service packages: nothing below imports it.

- ``inbound``: commit (one transaction each) ``ingest`` (store, then act),
  ``process_pending``, ``release`` and ``discard`` (an admin's decision on a held
  message); reads ``find_stored``, ``get_mail``, ``view_mail``, ``held``,
  ``recently_decided``, ``original``, ``raw_by_event``.
- ``imap``: commit ``poll`` (the job); reads ``configured``.
"""
