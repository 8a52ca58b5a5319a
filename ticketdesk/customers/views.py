"""Customer (account) pages: list, profile with contacts, tickets, orders and standing
history, edits; and the order import for administrators."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.core.clock import desk_date
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.security import roles_required
from ticketdesk.customers.forms import (
    ContactEditForm,
    ContactForm,
    CustomerForm,
    NewCustomerForm,
    OrderForm,
    OrderImportForm,
)
from ticketdesk.database import utcnow
from ticketdesk.models import CustomerTier, Role, Standing
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.customers import orders as order_service
from ticketdesk.services.ledger import remedies as ledger_service
from ticketdesk.services.people import access
from ticketdesk.services.recovery import accounts as account_service
from ticketdesk.services.tickets import guards
from ticketdesk.services.tickets import queue as queue_service

bp = Blueprint("customers", __name__)

VIEW_ROLES = (Role.AGENT, Role.LEAD, Role.ACCOUNT_MANAGER)
IMPORT_ROLES = order_service.IMPORT_ROLES
ORDERS_SHOWN = 20


def _data(form: CustomerForm, customer=None) -> customer_service.CustomerData:
    reason = form.standing_reason.data if "standing_reason" in form else ""
    tier_reason = form.tier_reason.data if "tier_reason" in form else ""
    # A tier field left out of the request (shown disabled to those who may not change
    # it) keeps the customer's tier; a tier sent by them anyway is refused by the service.
    tier = CustomerTier(form.tier.data) if customer is None or form.tier.raw_data else customer.tier
    return customer_service.CustomerData(
        name=form.name.data or "",
        tier=tier,
        tier_reason=tier_reason or "",
        standing=Standing(form.standing.data),
        account_manager_id=form.account_manager_id.data,
        preferences=form.preferences.data or "",
        external_ref=form.external_ref.data,
        purchase_share=form.purchase_share.data,
        standing_reason=reason or "",
    )


def _warn_pejorative(text: str) -> None:
    words = guards.pejorative_terms(text)
    if words:
        flash(
            _(
                "Saved. Please keep customer records factual: “%(words)s” judges the customer "
                "rather than describing what happened.",
                words=", ".join(words),
            ),
            "warning",
        )


def _manager_choices(form: CustomerForm) -> None:
    form.account_manager_id.choices = [("", _("None"))] + customer_service.account_manager_choices()


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    search = (request.args.get("q") or "")[:100]
    items = customer_service.list_customers(user=current_user, search=search)
    return render_template("customers/index.html", customers=items, search=search)


@bp.route("/search")
@roles_required(*VIEW_ROLES)
def search():
    """The customer picker's matches as JSON: ``{"results": [{"id", "name", "label"}]}``,
    only customers the user may see, at most ``SEARCH_LIMIT``."""
    matches = customer_service.search_customers(
        user=current_user, query=request.args.get("q") or ""
    )
    return jsonify(results=[{"id": m.id, "name": m.name, "label": m.label} for m in matches])


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def new():
    form = NewCustomerForm()
    _manager_choices(form)
    if request.method == "GET" and current_user.role is Role.ACCOUNT_MANAGER:
        form.account_manager_id.data = current_user.id
    if form.validate_on_submit():
        contact = customer_service.ContactData(
            name=form.contact_name.data or "",
            email=form.contact_email.data,
            phone=form.contact_phone.data or "",
        )
        try:
            customer = customer_service.create_customer(
                actor=current_user, data=_data(form), contact=contact
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            _warn_pejorative(customer.preferences)
            flash(_("Customer %(name)s created.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 400 if request.method == "POST" else 200
    return render_template("customers/form.html", form=form, customer=None), status


@bp.route("/<int:customer_id>")
@roles_required(*VIEW_ROLES)
def detail(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_view_customer(current_user, customer)
    return _render_detail(customer)


def _order_form() -> OrderForm:
    form = OrderForm(formdata=None)
    form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    form.ordered_on.data = desk_date(utcnow())
    return form


def _render_detail(customer, *, contact_form=None, order_form=None, status: int = 200):
    can_edit = access.can_edit_customer(current_user, customer)
    orders = order_service.list_orders(customer.id, limit=ORDERS_SHOWN)
    first, last = order_service.last_twelve_months(utcnow())
    return render_template(
        "customers/detail.html",
        customer=customer,
        tickets=queue_service.list_customer_tickets(current_user, customer, limit=200),
        compensation=ledger_service.customer_totals(customer.id),
        can_edit=can_edit,
        contact_form=contact_form or ContactForm(formdata=None),
        orders=orders,
        order_count=order_service.count_orders(customer.id),
        remedy_refs=order_service.remedy_tickets(orders),
        revenue=order_service.revenue(customer.id, first, last),
        revenue_since=first,
        order_form=order_form or (_order_form() if can_edit else None),
        standing_history=customer_service.standing_history(customer.id),
        tier_history=customer_service.tier_history(customer.id),
        can_see_account=account_service.can_view(current_user, customer),
    ), status


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def edit(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    form = CustomerForm(obj=customer)
    _manager_choices(form)
    if not access.can_change_tier(current_user, customer):
        form.tier.render_kw = {"disabled": True}
        form.tier.description = _("Only the account manager or a team lead changes the tier.")
        del form.tier_reason
    if request.method == "GET":
        form.tier.data, form.standing.data = customer.tier.value, customer.standing.value
    if form.validate_on_submit():
        try:
            customer_service.update_customer(
                customer, actor=current_user, data=_data(form, customer), now=utcnow()
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            _warn_pejorative(customer.preferences)
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    status = 400 if request.method == "POST" else 200
    return render_template("customers/form.html", form=form, customer=customer), status


@bp.route("/<int:customer_id>/contacts", methods=["POST"])
@roles_required(*VIEW_ROLES)
def add_contact(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            customer_service.add_contact(
                customer,
                actor=current_user,
                data=customer_service.ContactData(
                    name=form.name.data, email=form.email.data, phone=form.phone.data or ""
                ),
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Contact added."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return _render_detail(customer, contact_form=form, status=400)


def _contact_choices(form: ContactEditForm) -> None:
    from babel import Locale

    from ticketdesk.services.people.users import TIMEZONES

    desk_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    desk_zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]

    def language_name(code: str) -> str:
        try:
            return Locale.parse(code).get_display_name(code) or code
        except (ValueError, LookupError):
            return code

    form.locale.choices = [
        ("", _("Desk default (%(language)s)", language=language_name(desk_locale)))
    ] + [(code, language_name(code)) for code in customer_service.language_codes()]
    form.timezone.choices = [("", _("Desk default (%(zone)s)", zone=desk_zone))] + [
        (zone, zone) for zone in TIMEZONES
    ]


@bp.route("/<int:customer_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def edit_contact(customer_id: int, contact_id: int):
    contact = customer_service.get_contact(customer_id, contact_id)
    access.require_edit_customer(current_user, contact.customer)
    form = ContactEditForm(obj=contact)
    _contact_choices(form)
    if form.validate_on_submit():
        try:
            customer_service.update_contact(
                contact,
                actor=current_user,
                changes=customer_service.ContactChanges(
                    name=form.name.data or "",
                    email=form.email.data,
                    phone=form.phone.data or "",
                    locale=form.locale.data or "",
                    timezone=form.timezone.data or "",
                ),
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Contact saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer_id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "customers/contact_form.html", form=form, contact=contact, customer=contact.customer
    ), status


@bp.route("/<int:customer_id>/orders", methods=["POST"])
@roles_required(*VIEW_ROLES)
def add_order(customer_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    form = OrderForm()
    if form.validate_on_submit():
        data = order_service.OrderData(
            reference=form.reference.data or "",
            ordered_on=form.ordered_on.data,
            amount=form.amount.data,
            currency=form.currency.data or "",
            remedy_ticket=form.remedy_ticket.data or "",
        )
        try:
            order = order_service.add_order(customer, actor=current_user, data=data, now=utcnow())
        except DomainError as exc:
            show_error(form, exc, "reference")
        else:
            flash(_("Order %(ref)s added.", ref=order.reference), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="orders"))
    return _render_detail(customer, order_form=form, status=400)


@bp.route("/<int:customer_id>/orders/<int:order_id>/delete", methods=["POST"])
@roles_required(*VIEW_ROLES)
def delete_order(customer_id: int, order_id: int):
    customer = customer_service.get_customer(customer_id)
    access.require_edit_customer(current_user, customer)
    order = order_service.get_order(order_id)
    if order is None or order.customer_id != customer.id:
        abort(404)
    reference = order.reference
    order_service.delete_order(order, actor=current_user)
    flash(_("Order %(ref)s deleted.", ref=reference), "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor="orders"))


@bp.route("/orders/import", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_orders():
    form = OrderImportForm()
    result = None
    if form.validate_on_submit():
        data = form.file.data.stream.read(order_service.MAX_IMPORT_BYTES + 1)
        try:
            result = order_service.import_csv(data, actor=current_user, now=utcnow())
        except DomainError as exc:
            show_error(form, exc, "file")
        else:
            if result.ok:
                flash(
                    _(
                        "Imported %(added)d orders (%(already)d already there).",
                        added=result.added,
                        already=result.already_there,
                    ),
                    "success",
                )
                return redirect(url_for("customers.import_orders"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "customers/import.html",
        form=form,
        result=result,
        header=",".join(order_service.HEADER),
        example=order_service.EXAMPLE_LINES,
        max_mb=order_service.MAX_IMPORT_BYTES // (1024 * 1024),
    ), status
