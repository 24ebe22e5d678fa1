"""`flask --app app export-billing --term CODE [--out DIR]`."""
from __future__ import annotations

import os

import click
from flask import Flask, current_app

from orders import clock
from orders.domain.billing.export import export
from orders.domain.formats.files import ExportError
from orders.domain.institution import institution
from orders.domain.lookups import find_term
from orders.extensions import db


def register(app: Flask) -> None:
    """Attach export-billing to the app."""

    @app.cli.command("export-billing")
    @click.option("--term", "term_code", required=True, help="The term's code, e.g. 202710.")
    @click.option("--out", "out_dir", default=None, help="Directory to write to (default: instance/billing/).")
    def export_billing(term_code: str, out_dir: str | None) -> None:
        """Write the term's student billing feed CSV (docs/spec.md §6a), atomically."""
        out_dir = out_dir or os.path.join(current_app.instance_path, "billing")
        now = clock.utcnow()
        try:
            term = find_term(term_code)
            result = export(term, institution().program_mode, now, out_dir)
        except ExportError as error:
            raise click.ClickException(error.message) from error
        finally:
            db.session.rollback()  # read only
        declined = result.rows - result.billable
        click.echo(f"Wrote {result.path}: {result.rows} row{'' if result.rows == 1 else 's'} of {term.name}, "
                   f"{result.billable} billable, {declined} not billable (declined offers, zero cost and drops).")
