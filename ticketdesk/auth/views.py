"""Log in, log out, the start page and personal settings."""

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ticketdesk.auth.forms import AwayForm, EmailChoicesForm, LoginForm, PasswordForm, SettingsForm
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import client_address, home_endpoint, roles_required, safe_next
from ticketdesk.database import utcnow
from ticketdesk.models import WORKING_ROLES, AwayReason, NotificationKind
from ticketdesk.services.notifications import notifications as notification_service
from ticketdesk.services.notifications import outbox
from ticketdesk.services.people import availability, sessions
from ticketdesk.services.people import users as user_service
from ticketdesk.templating import LABELS

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
        cfg = current_app.config
        user = user_service.login_attempt(
            email=form.email.data,
            password=form.password.data,
            now=now,
            limit=cfg["LOGIN_RATE_LIMIT"],
            window_seconds=cfg["LOGIN_RATE_WINDOW_SECONDS"],
            client_address=client_address(),
            remember=bool(form.remember.data),
        )
        if user is None:
            form.form_errors.append(
                _("E-mail or password is not right, or the account is not active.")
            )
        else:
            _begin_session(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next"), url_for(home_endpoint(user))))
    return render_template("auth/login.html", form=form)


def _begin_session(user, *, remember: bool) -> None:
    """Log ``user`` in with a fresh cookie session: nothing from before carries over, so a
    session planted in the browser before logging in is not the one used afterwards."""
    had_remember_cookie = (
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    )
    session.clear()
    login_user(user, remember=remember)
    if not remember and had_remember_cookie:
        session["_remember"] = "clear"  # an old remember-me cookie of an ended session


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sessions.end(current_user.login_id)
    session.clear()  # everything of this session goes, not only the login
    logout_user()  # and clears a remember-me cookie
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/settings/sessions/end-all", methods=["POST"])
@login_required
def logout_everywhere():
    sessions.end_all(current_user, actor=current_user)
    session.clear()  # everything of this session goes, not only the login
    logout_user()  # and clears a remember-me cookie
    flash(_("You are logged out everywhere: on every device and browser."), "info")
    return redirect(url_for("auth.login"))


# ----------------------------------------------------------------- settings
# The page holds four forms. The one just posted keeps what was typed and its errors;
# the others show the saved values (formdata=None, so a POST to one never empties another).


def _profile_form(**kwargs) -> SettingsForm:
    form = SettingsForm(prefix="profile", obj=current_user, **kwargs)
    form.timezone.choices = [(tz, tz) for tz in user_service.TIMEZONES]
    return form


def _email_form(**kwargs) -> EmailChoicesForm:
    form = EmailChoicesForm(prefix="notify", **kwargs)
    form.by_email.choices = [
        (kind.value, LABELS["notification"][kind]) for kind in NotificationKind
    ]
    return form


def _away_form(**kwargs) -> AwayForm:
    form = AwayForm(prefix="away", **kwargs)
    form.reason.choices = [(reason.value, LABELS["away"][reason]) for reason in AwayReason]
    return form


def _back_on():
    """The day the user said they are back, in their own timezone (None: not said)."""
    if current_user.away_until is None:
        return None
    return current_user.away_until.astimezone(ZoneInfo(current_user.timezone or "UTC")).date()


def _render_settings(*, form=None, password_form=None, email_form=None, away_form=None):
    away = current_user.is_away(utcnow())
    if email_form is None:
        chosen = notification_service.email_choices(current_user)
        email_form = _email_form(
            formdata=None, data={"by_email": [kind.value for kind, on in chosen.items() if on]}
        )
    if away_form is None and current_user.works_tickets:
        saved = (
            {
                "reason": current_user.away_reason.value,
                "back_on": _back_on(),
                "note": current_user.away_note,
            }
            if away
            else {}
        )
        away_form = _away_form(formdata=None, data=saved)
    return render_template(
        "auth/settings.html",
        form=form or _profile_form(formdata=None),
        password_form=password_form or PasswordForm(prefix="password", formdata=None),
        email_form=email_form,
        away_form=away_form,
        away=away,
        back_on=_back_on() if away else None,
        smtp_configured=outbox.smtp_configured(),
        session_count=sessions.count_active(current_user, now=utcnow()),
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = _profile_form()
    if form.validate_on_submit():
        try:
            user_service.update_settings(
                current_user, name=form.name.data, timezone=form.timezone.data
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("auth.settings"))
    return _render_settings(form=form)


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    password_form = PasswordForm(prefix="password")
    if password_form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            started = user_service.change_password(
                user,
                current=password_form.current_password.data,
                new=password_form.new_password.data,
                now=utcnow(),
                login_id=user.login_id,
            )
        except DomainError as exc:
            show_error(password_form, exc, "new_password")
        else:
            if started is not None:
                _begin_session(user, remember=started.remember)
            flash(_("Your password is changed. You are logged out everywhere else."), "success")
            return redirect(url_for("auth.settings"))
    return _render_settings(password_form=password_form)


@bp.route("/settings/notifications", methods=["POST"])
@login_required
def notification_settings():
    form = _email_form()
    if form.validate_on_submit():
        chosen = {NotificationKind(value) for value in form.by_email.data or []}
        notification_service.set_email_choices(current_user, by_email=chosen)
        flash(_("Your e-mail choices are saved."), "success")
        return redirect(url_for("auth.settings", _anchor="email-choices"))
    return _render_settings(email_form=form)


@bp.route("/settings/away", methods=["POST"])
@roles_required(*WORKING_ROLES)
def away():
    form = _away_form()
    if form.validate_on_submit():
        try:
            availability.set_away(
                current_user,
                actor=current_user,
                reason=AwayReason(form.reason.data),
                back_on=form.back_on.data,
                note=form.note.data or "",
                now=utcnow(),
            )
        except DomainError as exc:
            show_error(form, exc, "reason")
        else:
            flash(_("You are marked away: you get no new tickets until you are back."), "success")
            return redirect(url_for("auth.settings", _anchor="availability"))
    return _render_settings(away_form=form)


@bp.route("/settings/back", methods=["POST"])
@roles_required(*WORKING_ROLES)
def back():
    try:
        availability.set_back(current_user, actor=current_user)
    except DomainError as exc:
        flash_error(exc, "warning")  # not away (any more): nothing to undo
    else:
        flash(_("Welcome back: you can get new tickets again."), "success")
    return redirect(url_for("auth.settings", _anchor="availability"))
