"""The Progress screen's cost-disclosure coverage as CSV (docs/spec.md §10): the table's rows, in its order."""
from __future__ import annotations

from typing import Iterator

from flask import Response

from orders import clock
from orders.domain.costs.coverage import Coverage, coverage
from orders.domain.formats.csvstream import csv_chunks
from orders.domain.institution import institution
from orders.domain.lookups import all_terms
from orders.web.guards import actor, progress_only
from orders.web.screens.progress import bp
from orders.web.screens.progress.views import _chosen_term

HEADER = ["Organization", "Active sections", "Disclosed today", "Share today %", "Disclosed when registration opened",
          "Share then %", "Target %"]


def _csv_chunks(found: Coverage) -> Iterator[str]:
    """The whole term first, then each organization; empty cells where there is nothing to count."""
    def cell(value) -> str:
        return "" if value is None else str(value)

    rows = [found.headline, *found.rows] if not found.empty else []
    return csv_chunks(HEADER, (
        ["All organizations" if not row.key else row.label, row.total, row.now, cell(row.share_now), cell(row.then),
         cell(row.share_then), found.target]
        for row in rows
    ), for_spreadsheet=True)


@bp.route("/coverage.csv")
@progress_only
def coverage_csv():
    """The term's cost-disclosure coverage by organization, within the user's reach."""
    term = _chosen_term(all_terms())
    found = coverage(actor(), term, institution(), clock.now())
    response = Response(_csv_chunks(found), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="progress-{term.code}-coverage.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
