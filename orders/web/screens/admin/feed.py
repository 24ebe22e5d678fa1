"""Back office: Program Administrators download a term's order feed (full, or changes since a date).

Same rows and CSV writer as `export-feed`, streamed straight to the browser. A download records no
feed run, so it never moves the delta window the nightly `export-feed --delta` continues from.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Response, render_template, request, stream_with_context
from sqlalchemy import select

from orders import clock
from orders.domain.feed import FEED_VERSION
from orders.domain.feed.export import BEGINNING, changed_since, file_name
from orders.domain.feed.rows import stream_feed
from orders.domain.institution import institution
from orders.domain.lookups import all_terms
from orders.domain.models import FeedKind, FeedRun, Term
from orders.extensions import db
from orders.web.guards import admin_only
from orders.web.screens.admin import bp

TERM_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}\Z")  # anything else names no term (and never reaches SQL)
RECENT_RUNS = 10
DEFAULT_DAYS_BACK = 7


def _page(status: int = 200, *, error: str | None = None, notice: str | None = None, chosen: str | None = None,
          since: str | None = None):
    """The download page, with an error (400) or a notice when asked."""
    tz = ZoneInfo(institution().timezone)
    now = clock.now()
    terms = all_terms()
    runs = db.session.scalars(
        select(FeedRun).order_by(FeedRun.created_at.desc(), FeedRun.id.desc()).limit(RECENT_RUNS)
    ).all()
    terms_by_id = {term.id: term for term in terms}
    default_since = (now.astimezone(tz).date() - timedelta(days=DEFAULT_DAYS_BACK)).isoformat()
    return render_template(
        "admin/feed.html",
        terms=terms,
        terms_by_id=terms_by_id,
        chosen=chosen or _default_term_code(terms, now),
        since=since if since is not None else default_since,
        runs=runs,
        timezone_name=institution().timezone,
        error=error,
        notice=notice,
        feed_version=FEED_VERSION,
        beginning=BEGINNING,
    ), status


def _default_term_code(terms: list[Term], now: datetime) -> str | None:
    """The term whose ordering is open, else the newest one."""
    for term in terms:
        if term.period is not None and term.period.opens_at <= now < term.period.closes_at:
            return term.code
    return terms[0].code if terms else None


@bp.get("/feed/")
@admin_only
def feed():
    """The download form and the last runs of the command."""
    return _page()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


@bp.get("/feed/download")
@admin_only
def feed_download():
    """Stream the chosen term's full feed, or the changes since a date (local midnight), as CSV."""
    code = request.args.get("term", "")
    kind_value = request.args.get("kind", "")
    since_value = request.args.get("since", "")[:32]
    term = db.session.scalars(select(Term).where(Term.code == code)).first() if TERM_CODE.match(code) else None
    if term is None:
        return _page(404, error="Choose a term from the list: that term does not exist.", since=since_value)
    if kind_value not in (FeedKind.FULL.value, FeedKind.DELTA.value):
        return _page(
            400, error="Choose “Download full feed” or “Download changes since date”.", chosen=code, since=since_value
        )
    kind, since = FeedKind(kind_value), None
    if kind is FeedKind.DELTA:
        day = _parse_date(since_value)
        if day is None:
            return _page(
                400,
                error="Enter the date to download the changes since, e.g. 2027-01-05.",
                chosen=code,
                since=since_value,
            )
        since = datetime.combine(day, time.min, tzinfo=ZoneInfo(institution().timezone)).astimezone(timezone.utc)
        if not changed_since(term, since):
            return _page(
                notice=f"No order of {term.name} changed since {day.isoformat()}: there is nothing to download.",
                chosen=code,
                since=day.isoformat(),
            )
    # The rows are read on a connection of the generator's own: the request's session ends (Flask
    # runs teardown) as soon as this view returns, before the body is sent.
    body = stream_feed(db.engine, term.id, since)
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{file_name(term, kind, clock.now())}"',
            "Cache-Control": "no-store",
            "X-Order-Feed-Version": FEED_VERSION,
        },
    )
