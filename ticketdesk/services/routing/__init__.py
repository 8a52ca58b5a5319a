"""Routing: which team and person a new ticket goes to.

``engine`` applies the rules to a ticket; ``rules`` is the editor's side.
"""
