"""Administration: users, teams and the category list. Administrators only."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.admin.forms import CategoryForm, EditUserForm, NewUserForm, TeamForm
from ticketdesk.extensions import db
from ticketdesk.models import Category, Role, Team, User
from ticketdesk.security import roles_required
from ticketdesk.services import categories as category_service
from ticketdesk.services import users as user_service
from ticketdesk.services.errors import DomainError

bp = Blueprint("admin", __name__)


def _show_error(form, exc: DomainError, default: str) -> None:
    target = getattr(form, exc.field or default, None) or getattr(form, default)
    target.errors = list(target.errors) + [str(exc)]


def _user_data(form) -> user_service.UserData:
    return user_service.UserData(email=form.email.data, name=form.name.data,
                                 role=Role(form.role.data), active=form.active.data,
                                 team_ids=tuple(form.team_ids.data or ()))


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=user_service.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    form.team_ids.choices = user_service.team_choices()
    if form.validate_on_submit():
        try:
            user = user_service.create_user(actor=current_user, data=_user_data(form),
                                            password=form.password.data)
        except DomainError as exc:
            _show_error(form, exc, "email")
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    form.team_ids.choices = user_service.team_choices()
    if request.method == "GET":
        form.role.data = user.role.value
        form.team_ids.data = [t.id for t in user.teams]
    if form.validate_on_submit():
        try:
            user_service.update_user(user, actor=current_user, data=_user_data(form),
                                     new_password=form.new_password.data or None)
        except DomainError as exc:
            _show_error(form, exc, "email")
        else:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/teams", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = user_service.save_team(None, actor=current_user, name=form.name.data,
                                          description=form.description.data or "")
        except DomainError as exc:
            _show_error(form, exc, "name")
        else:
            flash(_("Team %(name)s created.", name=team.name), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", teams=user_service.list_teams(), form=form)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_team(team_id: int):
    team = db.get_or_404(Team, team_id)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            user_service.save_team(team, actor=current_user, name=form.name.data,
                                   description=form.description.data or "")
        except DomainError as exc:
            _show_error(form, exc, "name")
        else:
            flash(_("Team saved."), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team)


@bp.route("/categories", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = category_service.save_category(
                None, actor=current_user, name=form.name.data, position=form.position.data,
                active=form.active.data)
        except DomainError as exc:
            _show_error(form, exc, "name")
        else:
            flash(_("Category %(name)s created.", name=category.name), "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/categories.html", form=form,
                           categories=category_service.list_categories(include_inactive=True))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_category(category_id: int):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            category_service.save_category(category, actor=current_user, name=form.name.data,
                                           position=form.position.data, active=form.active.data)
        except DomainError as exc:
            _show_error(form, exc, "name")
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/category_form.html", form=form, category=category)
