"""Business rules and use cases. Each public function is one user action.

The packages import each other in one order, from the bottom (``ticketdesk.core`` below
them all): ``people``, ``notifications``, ``timeline``, ``customers``, ``routing``,
``sla``, ``playbooks``, ``ledger``, ``recovery``, ``tickets``, ``mail``. A package may
import those before it, never one after it: ``make lint`` (import-linter) refuses an
import circle between packages or between the modules of one package. Each package's
docstring lists its modules' public functions, and says which commit (one transaction,
``unit_of_work``) and which run inside the caller's transaction.
"""
