"""Domain-free helpers shared by the blueprints and services. Imports no service.

``uow`` (``unit_of_work``: the one transaction of a user action), ``errors`` (what
services raise), ``clock`` (the desk's timezone and days), ``inputs`` (input at every
boundary, e-mail addresses compared one way), ``money`` (currencies, minor units,
amount checks), ``counters`` (``next_ticket_reference``, inside the caller's
transaction), ``ratelimit`` (``is_limited`` reads; ``acquire`` and ``release`` run
inside the caller's transaction), ``lease`` (the scheduler's lease; each call commits),
``links`` (absolute links for e-mails), ``paging``, ``csv_export`` and ``security``
(role checks, safe redirects, the secret key).
"""
