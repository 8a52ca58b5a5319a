"""Tickets: how a complaint enters the desk and is worked until it is closed.

``intake`` (staff and public forms), ``conversation`` (replies, notes, customer messages),
``lifecycle`` (the status machine), ``workflow`` (status changes and what a resolution
sends), ``assignment`` (owners and watchers), ``editing`` (categorisation), ``queue`` and
``search`` (finding tickets), ``attachments``, ``categories``, ``review`` (tickets held for a
person to confirm), ``guards`` (words a reply should not use) and ``common`` (helpers shared
by these modules).
"""
