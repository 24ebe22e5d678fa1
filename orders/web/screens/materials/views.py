"""Public course materials (docs/spec.md §3): the lookup page, a page per section, the term's CSV and JSON.

No sign-in and no session: every answer is the same for everyone, cacheable for five minutes, with an
ETag from queries.term_version so a repeat visit costs one aggregate query and a 304.
"""
from __future__ import annotations

from flask import Response, abort, current_app, render_template, request, stream_with_context
from werkzeug.datastructures import ETags

from orders import clock
from orders.domain.branding import brand_tag
from orders.domain.costs.estimate import CostLabel
from orders.domain.institution import institution
from orders.extensions import db
from orders.web.guards import public
from orders.web.parsing import parse_page
from orders.web.screens.materials import bp, export, queries
from orders.web.sessionless import mark_sessionless

bp.before_request(mark_sessionless)
MAX_AGE = 300


@bp.before_request
def require_published() -> None:
    """The institution's "Publish course materials" setting off: nothing here exists."""
    if not institution().publish_course_materials:
        abort(404)


def _term_or_404(code: str):
    term = queries.find_visible_term(code, clock.now())
    if term is None:
        abort(404, "No published term has this code. Choose a term on the course materials page.")
    return term


def _version(term) -> str:
    """The term's fingerprint; production remembers it a moment per worker (tests see every change at once)."""
    seconds = current_app.config.get("PUBLIC_MATERIALS_VERSION_SECONDS", 0 if current_app.testing else 2.0)
    return queries.cached_term_version(term, seconds)


def _etag(*parts: str) -> str:
    return "-".join(parts)


def _not_modified(etag: str) -> bool:
    """The client's copy is current (the gzip layer adds "-gzip" to the tag it sends out)."""
    wanted: ETags = request.if_none_match
    return bool(wanted) and (wanted.contains_weak(etag) or wanted.contains_weak(f"{etag}-gzip") or wanted.star_tag)


def _cacheable(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def _answer(etag: str, build) -> Response:
    """A 304 when the client has this version, else the built response; both cacheable."""
    if _not_modified(etag):
        return _cacheable(Response(status=304), etag)
    return _cacheable(build(), etag)


@bp.get("/")
@public
def index():
    """Choose a term, search its sections; each shows its materials or its status."""
    terms = queries.visible_terms(clock.now())
    code = request.args.get("term", "")
    term = _term_or_404(code) if code else queries.default_term(terms, clock.now())
    q = queries.clean_query(request.args.get("q"))
    page = parse_page(request.args.get("page"))
    inst = institution()
    label = _label(request.args.get("cost"), inst.low_cost_threshold)
    costs = dict(cost=label.value if label else "", low_cost_threshold=inst.low_cost_threshold,
                 criteria_url=inst.low_cost_criteria_url)
    if term is None:
        return _cacheable(
            Response(render_template("materials/index.html", terms=terms, term=None, q=q, **costs)), "none"
        )
    fingerprint = _version(term)
    listing = ",".join(t.code for t in terms)
    now = clock.now()
    etag = _etag(
        "p",
        fingerprint,
        queries.hashlib.sha256(repr((listing, q, page, costs["cost"])).encode()).hexdigest()[:12],
        queries.look_again_tag(term, now),
        brand_tag(inst),
    )

    def build() -> Response:
        found = queries.matching_sections(term, q, page, label=label, threshold=inst.low_cost_threshold)
        sections = queries.section_records(term, found.rows, inst.low_cost_threshold)
        return Response(
            render_template(
                "materials/index.html",
                terms=terms,
                term=term,
                q=q,
                found=found,
                sections=sections,
                **costs,
                look_again=queries.look_again(term, now),
            )
        )

    return _answer(etag, build)


def _label(raw: str | None, threshold) -> CostLabel | None:
    """The ?cost= filter: "zero_textbook_cost", or "low_cost" when the institution has a threshold; else none."""
    wanted = next((label for label in CostLabel if label.value == (raw or "")[:32]), None)
    return None if wanted is CostLabel.LOW_COST and threshold is None else wanted


@bp.get("/<term_code>/<section_sis_id>")
@public
def section(term_code: str, section_sis_id: str):
    """One section's materials, at a URL the registrar's class search can link to."""
    term = _term_or_404(term_code)
    section_id = queries.find_section_id(term, section_sis_id)
    if section_id is None:
        abort(404, "No section of this term has this id. Search for it on the course materials page.")
    now = clock.now()
    etag = _etag("s", _version(term), queries.look_again_tag(term, now), brand_tag(institution()))

    def build() -> Response:
        inst = institution()
        sections = queries.section_records(term, [section_id], inst.low_cost_threshold)
        ((key, records),) = sections.items()
        return Response(
            render_template(
                "materials/section.html",
                term=term,
                key=key,
                records=records,
                criteria_url=inst.low_cost_criteria_url,
                look_again=queries.look_again(term, now),
            )
        )

    return _answer(etag, build)


def _stream(term_code: str, kind: str) -> Response:
    term = _term_or_404(term_code)
    etag = _etag(kind, _version(term))
    inst = institution()
    settings = export.CostSettings(inst.low_cost_threshold, inst.low_cost_criteria_url)
    if kind == "csv":
        body, mimetype = export.stream_csv(db.engine, term.id, term.code, settings), "text/csv"
        headers = {"Content-Disposition": f'inline; filename="course-materials-{term.code}.csv"'}
    else:
        body, mimetype = export.stream_json(db.engine, term.id, term.code, term.name, settings), "application/json"
        headers = {}
    # The records are read on a connection of the generator's own: the request's session ends when
    # this view returns, before the body is sent.
    return _answer(etag, lambda: Response(stream_with_context(body), mimetype=mimetype, headers=headers))


@bp.get("/<term_code>.csv")
@public
def term_csv(term_code: str):
    """The term's records as CSV: one row per section x line."""
    return _stream(term_code, "csv")


@bp.get("/<term_code>.json")
@public
def term_json(term_code: str):
    """The term's records as JSON (docs/course-materials.v2.schema.json)."""
    return _stream(term_code, "json")
