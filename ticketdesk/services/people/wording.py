"""Roles and approval reasons in a sentence: one place for every page, flash and message."""

from flask_babel import gettext as _

from ticketdesk.models import ApprovalReason, Remedy, Role


def waits_for_approval(role: Role | None) -> str:
    """The waiting state in a sentence: "waits for a team lead's approval", "waits for an
    administrator's approval"."""
    if role is Role.ADMIN:
        return _("waits for an administrator's approval")
    if role is Role.LEAD:
        return _("waits for a team lead's approval")
    if role is Role.AGENT:
        return _("waits for an agent's approval")
    return _("waits for approval")


def approval_reason_text(reason: ApprovalReason) -> str:
    """Why a remedy needs that role, as the approver reads it."""
    texts = {
        ApprovalReason.OVER_AGENT_LIMIT: _("over the agent limit"),
        ApprovalReason.OVER_LEAD_LIMIT: _("over the lead limit"),
        ApprovalReason.OVER_CAP: _("over the compensation cap"),
        ApprovalReason.STRATEGIC_CASH: _("cash refund to a strategic account"),
        ApprovalReason.REPEAT_FAILURE: _("repeat failure: one tier up"),
    }
    return texts[reason]


def approval_reasons_text(reasons) -> str:
    """The reasons joined for a sentence ("over the compensation cap; repeat failure: …")."""
    return "; ".join(approval_reason_text(r) for r in reasons)


def waiting_sentence(remedy: Remedy) -> str:
    """The sentence for a waiting remedy: "The remedy waits for an administrator's
    approval. Why: over the compensation cap." """
    text = _("The remedy %(waits)s.", waits=waits_for_approval(remedy.approval_role))
    reasons = remedy.approval_reason_list
    if reasons:
        text += " " + _("Why: %(reasons)s.", reasons=approval_reasons_text(reasons))
    return text
