"""Playbooks: the resolve-first checklist each ticket follows.

``engine`` chooses a ticket's playbook and runs its steps; ``admin`` is the editor's side
(versions, conditions, steps); ``shipped`` holds the playbooks the desk ships with.
"""
