from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ticketdesk.models import CustomerTier, Standing
from ticketdesk.tickets.forms import _int_or_none, enum_choices


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    tier = SelectField(_l("Tier"), choices=enum_choices(CustomerTier, "tier"),
                       default=CustomerTier.STANDARD.value)
    standing = SelectField(_l("Our standing with them"), choices=enum_choices(Standing, "standing"),
                           default=Standing.QUALIFICATION_PENDING.value,
                           description=_l("How this customer ranks us as a supplier."))
    account_manager_id = SelectField(_l("Account manager"), coerce=_int_or_none, validate_choice=False)
    preferences = TextAreaField(
        _l("What they value"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 3},
        description=_l("Facts that make goodwill concrete: products they love, how they like to be "
                       "contacted, what matters to them. Keep it factual, no labels."))


class NewCustomerForm(CustomerForm):
    contact_name = StringField(_l("Contact name"), validators=[Optional(), Length(max=120)])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
