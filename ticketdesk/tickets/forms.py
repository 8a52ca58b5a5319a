from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    MultipleFileField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from ticketdesk.core import money
from ticketdesk.core.inputs import IntField, choice_id, optional_id
from ticketdesk.models import (
    CapBase,
    CauseSide,
    Channel,
    CustomerTier,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RootCause,
    Severity,
    TicketKind,
    TicketStatus,
)
from ticketdesk.templating import LABELS


def enum_choices(enum_cls, group: str, *, exclude=()) -> list[SelectChoice]:
    return [SelectChoice(m.value, LABELS[group][m]) for m in enum_cls if m not in exclude]


class MoneyField(DecimalField):
    """The one field type of every amount: a plain decimal number, not negative, below the
    largest amount, with at most as many decimals as the money columns keep.

    ``Infinity``, ``NaN``, ``sNaN``, exponents (``1e30``, ``1e309``) and anything but digits
    and one point get a form error, never a server error. Whether the decimals suit the
    currency (no cents in JPY) is the services' check, which knows the currency.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, places=None, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        self.data = money.parse_amount(valuelist[0])  # ValueError → a form error

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # the parse error says it all
        if self.data is not None:
            problem = money.amount_problem(self.data)
            if problem:
                # Stop the chain: NumberRange cannot compare what is not an amount.
                raise StopValidation(problem)


def _money_field(label):
    return MoneyField(label, validators=[Optional()])


def int_or_none(value):
    """A select's id; the empty choice ("" or "0") is None."""
    if value in ("0", 0):
        return None
    return optional_id(value)


# Largest quantity or number of units on one remedy.
QUANTITY_MAX = 100_000


class _TicketFieldsMixin:
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"), choices=enum_choices(TicketKind, "kind"), default=TicketKind.COMPLAINT.value
    )
    category_id = SelectField(_l("Category"), coerce=choice_id, validators=[InputRequired()])
    severity = SelectField(
        _l("Severity"), choices=enum_choices(Severity, "severity"), default=Severity.P3.value
    )
    order_reference = StringField(_l("Order reference"), validators=[Optional(), Length(max=64)])
    currency = StringField(
        _l("Currency"), validators=[DataRequired(), Length(min=3, max=3)], default="EUR"
    )
    order_value = _money_field(_l("Order value"))
    claimed_loss = _money_field(_l("Claimed loss"))
    cause_side = SelectField(
        _l("Cause side"),
        choices=enum_choices(CauseSide, "cause_side"),
        default=CauseSide.UNKNOWN.value,
        description=_l("Ours: we act and make good. Theirs: we advise."),
    )


class NewTicketForm(_TicketFieldsMixin, FlaskForm):
    customer_id = SelectField(_l("Existing customer"), coerce=int_or_none, validate_choice=False)
    new_customer_name = StringField(
        _l("New customer name"), validators=[Optional(), Length(max=160)]
    )
    new_customer_tier = SelectField(
        _l("New customer tier"),
        choices=enum_choices(CustomerTier, "tier"),
        default=CustomerTier.STANDARD.value,
    )
    contact_name = StringField(_l("Contact name"), validators=[Optional(), Length(max=120)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])
    channel = SelectField(
        _l("Received by"), choices=enum_choices(Channel, "channel"), default=Channel.PHONE.value
    )
    description = TextAreaField(
        _l("What the customer told us"),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 6},
        description=_l(
            "Shown to the customer on their private link and in the "
            "acknowledgement e-mail. Write it as you would to them."
        ),
    )
    internal_note = TextAreaField(
        _l("Internal note (optional)"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 3},
        description=_l("For staff only: never shown or sent to the customer."),
    )
    team_id = SelectField(_l("Team"), coerce=int_or_none, validate_choice=False)
    assignee_id = SelectField(_l("Assignee"), coerce=int_or_none, validate_choice=False)
    attachments = MultipleFileField(_l("Attachments"))
    # Shown when the new customer looks like existing ones: "Use this customer" buttons
    # post an existing customer's id here; the checkbox confirms a new one is meant.
    use_customer_id = IntField(validators=[Optional()])
    create_anyway = BooleanField(_l("Create a new customer anyway"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.use_customer_id.data:
            # "Use this customer": the existing one replaces the new name typed.
            self.customer_id.data = self.use_customer_id.data
            self.new_customer_name.data = ""
        if not self.customer_id.data and not (self.new_customer_name.data or "").strip():
            self.customer_id.errors.append(_l("Choose a customer or enter a new customer name."))
            ok = False
        if self.customer_id.data and (self.new_customer_name.data or "").strip():
            self.new_customer_name.errors.append(
                _l("Leave this empty when you choose an existing customer.")
            )
            ok = False
        if (self.contact_email.data or self.contact_phone.data) and not self.contact_name.data:
            self.contact_name.errors.append(_l("Give the contact's name too."))
            ok = False
        return ok


class _VersionedForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class ReplyForm(_VersionedForm):
    body = TextAreaField(
        _l("Reply to the customer"),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 5},
    )
    status_after = SelectField(_l("Then set status to"), validate_choice=True)
    attachments = MultipleFileField(_l("Attachments"))
    apology = BooleanField(_l("This reply apologises for the trouble"))
    proof_reason = StringField(
        _l("Reason to ask for proof anyway"), validators=[Optional(), Length(max=500)]
    )
    root_cause = SelectField(
        _l("This reply explains the cause"),
        choices=[SelectChoice("", _l("— does not explain the cause —"))]
        + enum_choices(RootCause, "root_cause"),
        default="",
        description=_l("Pick the root cause you explain to the customer."),
    )
    log_only = BooleanField(
        _l("Log only, do not e-mail"),
        description=_l(
            "For what you told the customer on the phone or "
            "in person: it goes on the ticket, not by e-mail."
        ),
    )


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note (never shown to the customer)"),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 4},
    )
    attachments = MultipleFileField(_l("Attachments"))


class AttachForm(FlaskForm):
    attachments = MultipleFileField(
        _l("Add files"), description=_l("Images, PDF, text or e-mail files. Staff only.")
    )


class CustomerMessageForm(FlaskForm):
    body = TextAreaField(
        _l("What the customer said"),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 4},
        description=_l("For messages received by phone, e-mail or in person."),
    )
    attachments = MultipleFileField(_l("Attachments"))


class StatusForm(_VersionedForm):
    status = SelectField(
        _l("Status"), validators=[DataRequired(message=_l("Choose the new status."))]
    )


class AssignForm(_VersionedForm):
    team_id = SelectField(_l("Team"), coerce=int_or_none, validate_choice=False)
    assignee_id = SelectField(_l("Assignee"), coerce=int_or_none, validate_choice=False)


class TakeForm(_VersionedForm):
    pass


class ReviewConfirmForm(_VersionedForm):
    """The flagged ticket's contact speaks for its customer."""


NEW_CUSTOMER_CHOICE = "new"


class ReviewMoveForm(_VersionedForm):
    """Move a flagged ticket (and its unverified contact) to another customer."""

    customer_id = SelectField(_l("Move to"), validate_choice=False)


class RerouteForm(_VersionedForm):
    """Run the routing rules again on this ticket."""


class CcForm(FlaskForm):
    """Copy a contact of the ticket's customer on every public reply."""

    contact_id = SelectField(
        _l("Copy on replies"),
        coerce=optional_id,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a contact."))],
    )


class PlainActionForm(FlaskForm):
    """A button that is the whole form (removing a copy, resending the private link)."""


class WatchForm(FlaskForm):
    """Watch or stop watching (the button is the whole form)."""


class StepDoneForm(FlaskForm):
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])


class StepReopenForm(FlaskForm):
    pass


class SwitchPlaybookForm(FlaskForm):
    version_id = HiddenField(validators=[DataRequired()])


class DetailsForm(_TicketFieldsMixin, _VersionedForm):
    pass


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    scope = SelectField(_l("Queue"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice("", _l("Any kind"))] + enum_choices(TicketKind, "kind"),
        validate_choice=False,
    )
    category = SelectField(_l("Category"), validate_choice=False)
    severity = SelectField(
        _l("Severity"),
        choices=[SelectChoice("", _l("Any severity"))] + enum_choices(Severity, "severity"),
        validate_choice=False,
    )
    team = SelectField(_l("Team"), validate_choice=False)
    assignee = SelectField(_l("Assignee"), validate_choice=False)
    customer = IntField(_l("Customer"), validators=[Optional()])
    q = StringField(
        _l("Search"),
        validators=[Optional(), Length(max=200)],
        render_kw={"placeholder": _l("Words or TD-000123"), "type": "search"},
    )
    sort = SelectField(_l("Sort by"), validate_choice=False)
    review = SelectField(
        _l("Review"),
        choices=[SelectChoice("", _l("Any")), SelectChoice("needed", _l("Needs review"))],
        validate_choice=False,
    )


STATUS_FILTERS = [
    ("", _l("Open (new, open, waiting)")),
    *[(s.value, LABELS["status"][s]) for s in TicketStatus],
    ("any", _l("Any status")),
]


class RemedyProposalForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=enum_choices(RemedyKind, "remedy_kind"),
        default=RemedyKind.MAKE_WHOLE.value,
    )
    form = SelectField(
        _l("Form"), choices=enum_choices(RemedyForm, "remedy_form"), default=RemedyForm.RESHIP.value
    )
    description = StringField(
        _l("What exactly"),
        validators=[DataRequired(), Length(max=500)],
        render_kw={"placeholder": _l("e.g. 2 bags reshipped by express today")},
    )
    quantity = IntField(
        _l("Quantity"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=QUANTITY_MAX)],
    )
    cost = MoneyField(_l("Cost"), validators=[InputRequired()])
    affected_units = IntField(
        _l("Affected units"), validators=[Optional(), NumberRange(min=0, max=QUANTITY_MAX)]
    )
    affected_value = _money_field(_l("Affected value"))
    reason = SelectField(
        _l("Reason"),
        choices=enum_choices(RemedyReason, "remedy_reason"),
        default=RemedyReason.MISSING_ITEMS.value,
    )
    cap_base_kind = SelectField(
        _l("Cap base"),
        choices=[SelectChoice("", _l("Automatic"))] + enum_choices(CapBase, "cap_base"),
        default="",
    )
    valued_at_cost = BooleanField(_l("Valued at our cost"))
    conceded = BooleanField(_l("Conceded: granted only after the customer escalated or threatened"))
    no_proof = BooleanField(_l("Made whole on the no-proof fast path"))


class RemedyActionForm(FlaskForm):
    pass


class RemedyDecisionForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=1000)])
