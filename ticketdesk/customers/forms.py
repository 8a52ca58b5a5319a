from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from ticketdesk.core.inputs import BoundedDateField, NumberField
from ticketdesk.models import CustomerTier, Standing
from ticketdesk.tickets.forms import MoneyField, enum_choices, int_or_none


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    external_ref = StringField(
        _l("External reference"),
        validators=[Optional(), Length(max=64)],
        description=_l(
            "Their customer number in your CRM or ERP. Order imports use it to find the customer."
        ),
    )
    tier = SelectField(
        _l("Tier"), choices=enum_choices(CustomerTier, "tier"), default=CustomerTier.STANDARD.value
    )
    tier_reason = TextAreaField(
        _l("Why the tier changes"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
        description=_l(
            "Needed only when you change the tier. The tier decides who approves "
            "compensation; only the account manager or a team lead changes it."
        ),
    )
    standing = SelectField(
        _l("Our standing with them"),
        choices=enum_choices(Standing, "standing"),
        default=Standing.QUALIFICATION_PENDING.value,
        description=_l("How this customer ranks us as a supplier."),
    )
    standing_reason = TextAreaField(
        _l("Why the standing changes"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
        description=_l(
            "Needed only when you change the standing: what happened, or what the "
            "customer told you."
        ),
    )
    purchase_share = NumberField(
        _l("Our share of their purchases (%)"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=100)],
        render_kw={"inputmode": "decimal"},
        description=_l(
            "Of everything they buy in our line, how much comes from us, if you know it."
        ),
    )
    account_manager_id = SelectField(
        _l("Account manager"), coerce=int_or_none, validate_choice=False
    )
    preferences = TextAreaField(
        _l("What they value"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
        description=_l(
            "Facts that make goodwill concrete: products they love, how they like to be "
            "contacted, what matters to them. Keep it factual, no labels."
        ),
    )


class NewCustomerForm(CustomerForm):
    standing_reason = None  # a new customer starts with a standing; nothing changes yet
    tier_reason = None
    contact_name = StringField(_l("Contact name"), validators=[Optional(), Length(max=120)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])


class ContactEditForm(ContactForm):
    locale = SelectField(
        _l("Language of e-mails"),
        validate_choice=False,
        description=_l("The language we write to this person in."),
    )
    timezone = SelectField(
        _l("Timezone"),
        validate_choice=False,
        description=_l("Times in our e-mails to this person are given in this timezone."),
    )


class OrderForm(FlaskForm):
    reference = StringField(_l("Order reference"), validators=[DataRequired(), Length(max=64)])
    ordered_on = BoundedDateField(_l("Order date"), validators=[InputRequired()])
    amount = MoneyField(_l("Amount"), validators=[InputRequired()])
    currency = StringField(_l("Currency"), validators=[DataRequired(), Length(min=3, max=3)])
    remedy_ticket = StringField(
        _l("Ships the remedy of ticket"),
        validators=[Optional(), Length(max=20)],
        description=_l(
            "Only for a replacement or other remedy sent on a complaint, e.g. "
            "TD-000123. Such shipments are not counted as purchases."
        ),
    )


class OrderImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
