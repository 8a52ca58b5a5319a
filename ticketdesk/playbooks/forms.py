from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from ticketdesk.core.inputs import IntField, NumberField
from ticketdesk.models import (
    CauseGroup,
    CustomerTier,
    GoodwillBasis,
    RemedyForm,
    Role,
    Severity,
    Standing,
    StepKind,
    TicketKind,
)
from ticketdesk.tickets.forms import MoneyField, enum_choices

# Labels of the playbook enums (the shared LABELS map has no entries for these yet).
PLAYBOOK_LABELS = {
    "cause_group": {
        CauseGroup.OURS: _l("Ours (product, commercial terms, coordination)"),
        CauseGroup.THEIRS: _l("Theirs (customer-internal)"),
        CauseGroup.UNKNOWN: _l("Not yet known"),
    },
    "step_kind": {
        StepKind.TASK: _l("Task"),
        StepKind.APOLOGY: _l("Apology"),
        StepKind.EXPLANATION: _l("Explanation of the cause"),
        StepKind.STATUS_UPDATE: _l("Regular status update"),
        StepKind.ANSWER: _l("Answer: ticked by a public reply"),
        StepKind.MAKE_WHOLE: _l("Make-whole: ticked when one is delivered"),
        StepKind.GOODWILL: _l("Goodwill: ticked when it is delivered"),
    },
    "remedy_form": {
        RemedyForm.RESHIP: _l("Reship"),
        RemedyForm.REFUND: _l("Refund"),
        RemedyForm.REPAIR: _l("Repair"),
        RemedyForm.CREDIT: _l("Credit"),
        RemedyForm.COUPON: _l("Coupon"),
        RemedyForm.FREE_ITEM: _l("Free item"),
        RemedyForm.SERVICE_VISIT: _l("Service visit"),
        RemedyForm.OTHER: _l("Other"),
    },
    "goodwill_basis": {
        GoodwillBasis.NONE: _l("No goodwill by default"),
        GoodwillBasis.AFFECTED_PERCENT: _l("Percent of the affected value"),
        GoodwillBasis.ORDER_PERCENT: _l("Percent of the order value"),
        GoodwillBasis.FIXED: _l("Fixed amount"),
        GoodwillBasis.EXTRA_UNITS: _l("Extra units"),
    },
}

# Condition key → (label, label group of its values); categories are named by the view.
CONDITION_LABELS = {
    "kinds": (_l("Kinds"), "kind"),
    "categories": (_l("Categories"), None),
    "causes": (_l("Cause side"), "cause_group"),
    "severities": (_l("Severities"), "severity"),
    "tiers": (_l("Customer tiers"), "tier"),
    "standings": (_l("Customer standings"), "standing"),
}

# Who may tick a step (administrators see no tickets).
STEP_ROLES = (Role.AGENT, Role.LEAD, Role.ACCOUNT_MANAGER)
MAX_STEPS = 60


def label_choices(group: str) -> list[SelectChoice]:
    return [SelectChoice(member.value, text) for member, text in PLAYBOOK_LABELS[group].items()]


def _money(label, **kwargs):
    return MoneyField(label, **kwargs)


def _number(label, **kwargs):
    return NumberField(label, places=None, render_kw={"inputmode": "decimal"}, **kwargs)


def _conditions(label, choices=None, description=None):
    return SelectMultipleField(
        label, choices=choices, description=description, validators=[Optional()]
    )


class StepForm(FlaskForm):
    """One row of the steps table (no CSRF token of its own: the playbook form has one)."""

    class Meta:
        csrf = False

    position = IntField(_l("Position"), validators=[Optional(), NumberRange(min=0, max=9999)])
    kind = SelectField(_l("Kind"), choices=label_choices("step_kind"), default=StepKind.TASK.value)
    title = StringField(_l("Title"), validators=[Optional(), Length(max=160)])
    guidance = TextAreaField(
        _l("Guidance"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2}
    )
    role = SelectField(
        _l("Done by"),
        default=Role.AGENT.value,
        choices=[c for c in enum_choices(Role, "role") if c.value in STEP_ROLES],
    )
    due_hours = _number(
        _l("Due after (hours)"), validators=[Optional(), NumberRange(min=0, max=100000)]
    )
    required = BooleanField(_l("Required"), default=True)
    recur_hours = IntField(
        _l("Repeat every (hours)"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    remove = BooleanField(_l("Remove"))

    @property
    def is_blank(self) -> bool:
        """A row with neither title nor guidance (the empty rows for new steps)."""
        return not (self.title.data or "").strip() and not (self.guidance.data or "").strip()


class PlaybookForm(FlaskForm):
    base_version = IntField(widget=HiddenInput(), validators=[Optional()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
        description=_l("When to use it and what it is for."),
    )

    kinds = _conditions(_l("Kinds"), enum_choices(TicketKind, "kind"))
    categories = _conditions(_l("Categories"))  # choices: the category list, set by the view
    causes = _conditions(_l("Cause side"), label_choices("cause_group"))
    severities = _conditions(_l("Severities"), enum_choices(Severity, "severity"))
    tiers = _conditions(_l("Customer tiers"), enum_choices(CustomerTier, "tier"))
    standings = _conditions(
        _l("Customer standings"),
        enum_choices(Standing, "standing"),
        description=_l("How the customer ranks us as a supplier."),
    )

    advisory = BooleanField(
        _l("Advisory: the cause lies with the customer; advise, no compensation by default")
    )
    evidence_threshold = _money(
        _l("Ask for no proof on claims up to"),
        validators=[InputRequired(), NumberRange(min=0, max=999999999)],
        default=0,
        description=_l("Below this value the agent must not ask the customer for proof."),
    )
    make_whole_form = SelectField(
        _l("Make whole by"), choices=label_choices("remedy_form"), default=RemedyForm.RESHIP.value
    )
    goodwill_basis = SelectField(
        _l("Goodwill basis"),
        choices=label_choices("goodwill_basis"),
        default=GoodwillBasis.AFFECTED_PERCENT.value,
    )
    goodwill_value = _number(
        _l("Goodwill value"),
        validators=[InputRequired(), NumberRange(min=0, max=999999999)],
        default=0,
        description=_l(
            "A percentage for the percent bases, an amount for a fixed amount, a "
            "number of units for extra units."
        ),
    )
    goodwill_cap_percent = _number(
        _l("Goodwill cap (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
        default=30,
        description=_l("Goodwill itself is capped at this share of the value."),
    )
    total_cap_percent = _number(
        _l("Total cap (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100000)],
        default=150,
        description=_l(
            "Make-whole and goodwill together; past about 150% compensation stops helping."
        ),
    )
    agent_limit = _money(
        _l("Agents may grant alone up to"),
        validators=[Optional(), NumberRange(min=0, max=999999999)],
        description=_l("Empty: the desk-wide default applies."),
    )
    lead_limit = _money(
        _l("Team leads may grant alone up to"),
        validators=[Optional(), NumberRange(min=0, max=999999999)],
        description=_l("Empty: the desk-wide default applies. Administrators have no limit."),
    )

    steps = FieldList(FormField(StepForm), min_entries=0, max_entries=MAX_STEPS)

    save = SubmitField(_l("Save playbook"))
    preview = SubmitField(_l("Preview matches"))
