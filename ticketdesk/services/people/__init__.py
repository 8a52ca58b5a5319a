"""People: staff accounts, what each role may do, their availability and sessions.

``users``, ``access`` (every permission check), ``availability`` (away periods) and
``sessions``.
"""
