"""Log in, log out, the start page and personal settings."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ticketdesk.auth.forms import LoginForm, PasswordForm, SettingsForm
from ticketdesk.database import utcnow
from ticketdesk.security import home_endpoint, safe_next
from ticketdesk.services import users as user_service
from ticketdesk.services.errors import DomainError

bp = Blueprint("auth", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_user)))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        now = utcnow()
        user = user_service.login_attempt(email=form.email.data, password=form.password.data,
                                          now=now,
                                          limit=current_app.config["LOGIN_RATE_LIMIT"],
                                          window_seconds=current_app.config["LOGIN_RATE_WINDOW_SECONDS"])
        if user is None:
            form.form_errors.append(_("E-mail or password is not right, or the account is not active."))
        else:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for(home_endpoint(user))))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _settings_forms():
    form = SettingsForm(prefix="profile", obj=current_user)
    form.timezone.choices = [(tz, tz) for tz in user_service.TIMEZONES]
    return form, PasswordForm(prefix="password")


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form, password_form = _settings_forms()
    if form.validate_on_submit():
        try:
            user_service.update_settings(current_user, name=form.name.data,
                                         timezone=form.timezone.data)
        except DomainError as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form)


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    form, password_form = _settings_forms()
    if password_form.validate_on_submit():
        try:
            user_service.change_password(current_user, current=password_form.current_password.data,
                                         new=password_form.new_password.data)
        except DomainError as exc:
            getattr(password_form, exc.field or "new_password").errors.append(str(exc))
        else:
            flash(_("Your password is changed."), "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form)
