"""The customer side: the public complaint form and the private follow-up link."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError, RateLimited
from ticketdesk.core.forms import show_error
from ticketdesk.database import utcnow
from ticketdesk.errors import http_status
from ticketdesk.public.forms import ComplaintForm, FollowUpForm, SurveyForm
from ticketdesk.services.recovery import surveys as survey_service
from ticketdesk.services.recovery.surveys import (
    SurveyAnswered,
    SurveyClosed,
    SurveyNotFound,
    SurveySuperseded,
)
from ticketdesk.services.tickets import categories as category_service
from ticketdesk.services.tickets import conversation, intake, survey_answers

bp = Blueprint("public", __name__)


def _client_ip() -> str:
    # Behind a proxy, configure werkzeug's ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "unknown"


@bp.route("/complain", methods=["GET", "POST"])
def complain():
    form = ComplaintForm()
    form.category_id.choices = [(0, _("Not sure"))] + category_service.category_choices()
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the hidden field: answer like a success, store nothing.
            return render_template("public/received.html", submitted=False), 200
        try:
            receipt = intake.receive_public_complaint(
                complaint=intake.PublicComplaint(
                    name=form.name.data,
                    email=form.email.data,
                    company=form.company.data or "",
                    order_reference=form.order_reference.data or "",
                    description=form.description.data,
                    category_id=form.category_id.data or None,
                ),
                ip=_client_ip(),
                now=utcnow(),
                uploads=request.files.getlist(form.attachments.name),
            )
        except RateLimited as exc:
            form.form_errors.append(str(exc))
            return render_template("public/complain.html", form=form), 429
        except DomainError as exc:
            show_error(form, exc, "description")
        else:
            # The session cookie can be read by whoever holds the browser: it carries the
            # private link's token only when that person may see the link.
            session["last_complaint"] = {
                "reference": receipt.ticket.reference,
                "token": receipt.ticket.public_token if receipt.show_link else None,
                "emailed_to": receipt.emailed_to,
            }
            return redirect(url_for("public.received"))
    return render_template("public/complain.html", form=form)


@bp.route("/complain/received")
def received():
    last = session.get("last_complaint")
    if not isinstance(last, dict) or not isinstance(last.get("reference"), str):
        return redirect(url_for("public.complain"))
    token = last.get("token")
    if isinstance(token, str):
        try:
            ticket = conversation.ticket_by_token(token)
        except DomainError:
            return redirect(url_for("public.complain"))
        return render_template(
            "public/received.html",
            reference=ticket.reference,
            link=url_for("public.follow", token=token, _external=True),
            emailed_to=last.get("emailed_to"),
            submitted=True,
        )
    return render_template(
        "public/received.html",
        reference=last["reference"],
        link=None,
        emailed_to=last.get("emailed_to"),
        submitted=True,
    )


@bp.route("/complain/t/<token>", methods=["GET", "POST"])
def follow(token: str):
    ticket = conversation.ticket_by_token(token)
    form = FollowUpForm()
    status = 200
    if form.validate_on_submit():
        try:
            conversation.log_customer_message(
                ticket,
                actor=None,
                body=form.body.data,
                now=utcnow(),
                ip=_client_ip(),
                uploads=request.files.getlist(form.attachments.name),
            )
        except DomainError as exc:
            show_error(form, exc, "body")
            status = http_status(exc) if isinstance(exc, RateLimited) else 200
        else:
            return redirect(url_for("public.follow", token=token, sent=1))
    events = conversation.timeline(ticket, public_only=True)
    survey = survey_service.latest_for([ticket.id]).get(ticket.id)
    survey_token = (
        survey_service.token_for(survey) if survey_service.is_open(survey, now=utcnow()) else None
    )
    return render_template(
        "public/follow.html",
        ticket=ticket,
        events=events,
        form=form,
        sent=request.args.get("sent") == "1",
        survey=survey,
        survey_token=survey_token,
        survey_form=SurveyForm(formdata=None) if survey_token else None,
        score_words=survey_service.SCORE_WORDS,
    ), status


def _survey_unavailable(exc: DomainError, *, posting: bool):
    """The page for a survey link that takes no answer (any more)."""
    if isinstance(exc, SurveyNotFound):
        return render_template("errors/404.html", message=str(exc)), 404
    if isinstance(exc, SurveyAnswered):
        return render_template(
            "public/survey_answered.html",
            survey=exc.survey,
            ticket=exc.survey.ticket,
            score_words=survey_service.SCORE_WORDS,
        ), 409 if posting else 200
    return render_template(
        "public/survey_closed.html", survey=exc.survey, superseded=isinstance(exc, SurveySuperseded)
    ), 410


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey(token: str):
    posting = request.method == "POST"
    try:
        found = survey_service.open_survey(token, now=utcnow())
    except (SurveyNotFound, SurveyAnswered, SurveyClosed) as exc:
        return _survey_unavailable(exc, posting=posting)
    form = SurveyForm()
    status = 200
    if posting:
        status = 400
        if form.validate_on_submit():
            try:
                result = survey_answers.answer(
                    token,
                    score=form.score.data,
                    comment=form.comment.data or "",
                    now=utcnow(),
                    ip=_client_ip(),
                )
            except (SurveyNotFound, SurveyAnswered, SurveyClosed) as exc:
                return _survey_unavailable(exc, posting=True)
            except RateLimited as exc:
                form.form_errors.append(str(exc))
                status = 429
            except DomainError as exc:
                show_error(form, exc, "score")
            else:
                flash(_("Thank you! We have your answer."), "success")
                if result.reopened:
                    flash(
                        _(
                            "We are sorry we did not get it right. Your complaint is open "
                            "again and we will contact you."
                        ),
                        "info",
                    )
                return redirect(url_for("public.survey", token=token))
    return render_template(
        "public/survey.html",
        form=form,
        survey=found,
        ticket=found.ticket,
        action=url_for("public.survey", token=token),
    ), status
