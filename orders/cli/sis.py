"""flask --app app import-sis DIR [--dry-run]"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from orders import clock
from orders.domain.sis.files import describe_files
from orders.extensions import db

HELP = f"""Reconcile the database with a nightly SIS dump in DIR, by SIS id, in one transaction.

\b
DIR holds nine CSV files (UTF-8, a header row naming the columns in this
order, every field double-quoted, the string "null" for a missing value):
{describe_files()}

\b
Dates are YYYY-MM-DD; level is Undergraduate or Graduate.
Rows are inserted or updated by SIS id. Sections absent from the dump become
"removed" (never deleted; orders keep them); teaching assignments absent are
ended. Enrollments absent become "dropped" (status is enrolled or dropped;
each change is stamped with the import's time). Without enrollments.csv the
dump carries no enrollment data: enrollments are left as they are. Users
absent are kept: the import never deactivates anyone. Users it creates have
no password (they sign in through SSO). Terms it creates have no
ordering period (set one in the back office).

\b
A bad file (missing column, wrong column order, bad quoting, duplicate id,
unknown reference, bad date, level or status, a section on an order moved to
another course or term, a course on an order renumbered (unless
--allow-course-changes), two people's single sign-on identities confused) exits
with status 1, naming file, line and reason, and changes nothing. So does a dump
that would remove more than SIS_MAX_REMOVAL_PERCENT (default 10) of the active
sections or teaching assignments (a truncated export?) unless
--allow-mass-removal is given. The report is printed and kept for the back
office (Administration > Imports); --dry-run prints it and changes nothing.
"""


def register(app: Flask) -> None:
    @app.cli.command("import-sis", help=HELP, short_help="Import a nightly SIS dump (CSV files).")
    @click.argument("directory", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Print the report of what would change; change nothing.")
    @click.option(
        "--allow-mass-removal",
        is_flag=True,
        help=(
            "Apply a dump that removes more than SIS_MAX_REMOVAL_PERCENT of the active sections "
            "or teaching assignments."
        ),
    )
    @click.option(
        "--allow-course-changes",
        is_flag=True,
        help="Apply a dump that changes the subject or number of a course that is on an order.",
    )
    def import_sis(directory: Path, dry_run: bool, allow_mass_removal: bool, allow_course_changes: bool) -> None:
        from orders.domain.sis.files import SISFileError
        from orders.domain.sis.importer import run_import

        try:
            share = None if allow_mass_removal else current_app.config["SIS_MAX_REMOVAL_PERCENT"] / 100
            report = run_import(
                directory.resolve(),
                dry_run=dry_run,
                now=clock.utcnow(),
                max_removal_share=share,
                allow_course_changes=allow_course_changes,
            )
        except SISFileError as refused:
            db.session.rollback()
            for problem in refused.problems:
                click.echo(f"Error: {problem}", err=True)
            raise click.ClickException("The SIS dump was refused; nothing was changed.") from None
        except BaseException:
            db.session.rollback()
            raise
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        click.echo(report.text())
