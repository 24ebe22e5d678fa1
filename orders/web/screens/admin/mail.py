"""Back office: failed emails, with Retry per email and Retry all."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for

from orders import clock
from orders.domain.institution import institution, local_time
from orders.domain.mail.failed import FAILED_PAGE_SIZE, failed_emails, retry_failed_as
from orders.domain.models import EmailStatus, OutboundEmail
from orders.domain.outbox import retry_reach
from orders.extensions import db
from orders.web.changes import run_change
from orders.web.guards import actor, admin_only
from orders.web.screens.admin import bp


@bp.route("/mail/")
@admin_only
def failed_mail():
    """Emails the worker gave up on, newest first."""
    rows, total = failed_emails()
    inst = institution()
    hours = retry_reach(current_app.config).total_seconds() / 3600
    return render_template(
        "admin/failed_mail.html", rows=rows, total=total, shown=FAILED_PAGE_SIZE, reach_hours=hours,
        local_time=lambda moment: local_time(moment, inst) if moment else "",
    )


@bp.route("/mail/<int:email_id>/retry", methods=["POST"])
@admin_only
def retry_mail(email_id: int):
    """Put one failed email back in the queue."""
    email = db.session.get(OutboundEmail, email_id)
    if email is None:
        abort(404, "There is no email with that number.")
    if email.status is not EmailStatus.FAILED:
        flash(f"Email #{email.id} is not failed ({email.status.value}); nothing changed.", "notice")
    elif run_change(lambda: retry_failed_as(actor(), clock.now(), email)).result():
        flash(f"Email #{email.id} to {email.recipient} is queued again; the mail worker sends it next.", "status")
    return redirect(url_for("admin.failed_mail"), code=303)


@bp.route("/mail/retry-all", methods=["POST"])
@admin_only
def retry_all_mail():
    """Put every failed email back in the queue."""
    count = run_change(lambda: retry_failed_as(actor(), clock.now())).result()
    if count:
        flash(
            f"{count} failed email{'s are' if count != 1 else ' is'} queued again; the mail worker sends them next.",
            "status",
        )
    else:
        flash("No email had failed; nothing changed.", "notice")
    return redirect(url_for("admin.failed_mail"), code=303)
