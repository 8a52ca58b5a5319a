"""Customer (account) pages: list, profile with contacts and tickets, edits."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.customers.forms import ContactForm, CustomerForm, NewCustomerForm
from ticketdesk.models import CustomerTier, Role, Standing
from ticketdesk.security import roles_required
from ticketdesk.services import access, guards
from ticketdesk.services import customers as customer_service
from ticketdesk.services import ledger as ledger_service
from ticketdesk.services import queue as queue_service
from ticketdesk.services.errors import DomainError

bp = Blueprint("customers", __name__)

VIEW_ROLES = (Role.AGENT, Role.LEAD, Role.ACCOUNT_MANAGER)


def _data(form: CustomerForm) -> customer_service.CustomerData:
    return customer_service.CustomerData(
        name=form.name.data or "", tier=CustomerTier(form.tier.data),
        standing=Standing(form.standing.data), account_manager_id=form.account_manager_id.data,
        preferences=form.preferences.data or "")


def _warn_pejorative(text: str) -> None:
    words = guards.pejorative_terms(text)
    if words:
        flash(_("Saved. Please keep customer records factual: “%(words)s” judges the customer "
                "rather than describing what happened.", words=", ".join(words)), "warning")


def _manager_choices(form: CustomerForm) -> None:
    form.account_manager_id.choices = [("", _("None"))] + customer_service.account_manager_choices()


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    search = (request.args.get("q") or "")[:100]
    items = customer_service.list_customers(user=current_user, search=search)
    return render_template("customers/index.html", customers=items, search=search)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def new():
    form = NewCustomerForm()
    _manager_choices(form)
    if request.method == "GET" and current_user.role is Role.ACCOUNT_MANAGER:
        form.account_manager_id.data = current_user.id
    if form.validate_on_submit():
        contact = customer_service.ContactData(
            name=form.contact_name.data or "", email=form.contact_email.data,
            phone=form.contact_phone.data or "")
        try:
            customer = customer_service.create_customer(actor=current_user, data=_data(form),
                                                        contact=contact)
        except DomainError as exc:
            target = getattr(form, exc.field or "name", form.name)
            target.errors = list(target.errors) + [str(exc)]
        else:
            _warn_pejorative(customer.preferences)
            flash(_("Customer %(name)s created.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=None)


@bp.route("/<int:customer_id>")
@roles_required(*VIEW_ROLES)
def detail(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_view_customer(current_user, customer)
    return _render_detail(customer, ContactForm(formdata=None))


def _render_detail(customer, contact_form):
    return render_template(
        "customers/detail.html", customer=customer,
        tickets=queue_service.list_customer_tickets(current_user, customer, limit=200),
        compensation=ledger_service.customer_totals(customer.id),
        can_edit=access.can_edit_customer(current_user, customer), contact_form=contact_form)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def edit(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    form = CustomerForm(obj=customer)
    _manager_choices(form)
    if request.method == "GET":
        form.tier.data, form.standing.data = customer.tier.value, customer.standing.value
    if form.validate_on_submit():
        try:
            customer_service.update_customer(customer, actor=current_user, data=_data(form))
        except DomainError as exc:
            target = getattr(form, exc.field or "name", form.name)
            target.errors = list(target.errors) + [str(exc)]
        else:
            _warn_pejorative(customer.preferences)
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=customer)


@bp.route("/<int:customer_id>/contacts", methods=["POST"])
@roles_required(*VIEW_ROLES)
def add_contact(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            customer_service.add_contact(customer, actor=current_user, data=customer_service.ContactData(
                name=form.name.data, email=form.email.data, phone=form.phone.data or ""))
        except DomainError as exc:
            target = getattr(form, exc.field or "name", form.name)
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash(_("Contact added."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return _render_detail(customer, form)
