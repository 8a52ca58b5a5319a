"""Recovery: whether a complaint turned into a loyal customer.

``surveys``, ``loyalty`` (candidates and whether they stayed), ``outcomes`` (the outcome
report), ``rules`` (the recovery rules row), ``accounts`` (an account's recovery history)
and ``segments`` (engagement segments).
"""
