"""`flask --app app lti-register ...` and `flask --app app lti-keys [--rotate]` (docs/spec.md §9)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from orders import clock
from orders.domain.lti import connections, keys
from orders.domain.lti.connections import ConnectionFields
from orders.domain.models import PersonMatch
from orders.domain.refusals import RuleBroken
from orders.extensions import db


def register(app: Flask) -> None:
    """Attach lti-register and lti-keys to the app."""

    @app.cli.command("lti-register")
    @click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")
    @click.option("--client-id", required=True, help="The client id the LMS gave the tool.")
    @click.option(
        "--deployment-id", "deployment_ids", required=True, multiple=True, help="A deployment id (repeat for more)."
    )
    @click.option("--auth-url", required=True, help="The platform's OIDC authorization URL.")
    @click.option("--token-url", required=True, help="The platform's access token URL.")
    @click.option("--jwks-url", required=True, help="The platform's public key set URL.")
    @click.option(
        "--match",
        type=click.Choice([m.value for m in PersonMatch]),
        default=PersonMatch.EMAIL.value,
        show_default=True,
        help="Match people by email or by SIS id (LIS person_sourcedid).",
    )
    @click.option(
        "--lms-url", default="", help="Where people use the LMS, when not at the issuer (it may frame the tool)."
    )
    def lti_register(
        issuer: str,
        client_id: str,
        deployment_ids: tuple[str, ...],
        auth_url: str,
        token_url: str,
        jwks_url: str,
        match: str,
        lms_url: str,
    ) -> None:
        """Register an LMS (or update one with the same issuer and client id: its deployment ids are added)."""
        now = clock.utcnow()
        allow_http = bool(current_app.config.get("DEVELOPMENT"))
        fields = ConnectionFields(
            issuer=issuer.strip(),
            client_id=client_id.strip(),
            deployment_ids=deployment_ids,
            auth_url=auth_url,
            token_url=token_url,
            jwks_url=jwks_url,
            match=match,
            lms_url=lms_url,
        )
        try:
            existing = connections.find(fields.issuer, fields.client_id)
            if existing is None:
                connection = connections.register(fields, actor=None, now=now, allow_http=allow_http)
                verb = "Registered"
            else:
                merged = ConnectionFields(
                    **{**fields.__dict__, "deployment_ids": tuple(existing.deployment_ids) + deployment_ids}
                )
                connection = connections.update(existing, merged, actor=None, now=now, allow_http=allow_http)
                verb = "Updated"
            db.session.commit()
        except RuleBroken as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        click.echo(
            f"{verb} {connection.issuer} (client id {connection.client_id}; deployments "
            f"{', '.join(connection.deployment_ids)}; people matched by {connection.match.value})."
        )

    @app.cli.command("lti-keys")
    @click.option("--rotate", is_flag=True, help="Add a new current key; the previous one stays published.")
    def lti_keys(rotate: bool) -> None:
        """List the tool's published keys, or rotate them."""
        if rotate:
            key = keys.rotate(actor=None, now=clock.utcnow())
            db.session.commit()
            click.echo(f"New current key {key.kid}; the key set publishes it and the previous key.")
        published = keys.published()
        db.session.rollback()  # read only
        if not published:
            click.echo("No tool key yet: run lti-keys --rotate (registering a connection also makes one).")
        for position, key in enumerate(published):
            click.echo(
                f"{key.kid}  {'current' if position == 0 else 'previous'}  added {key.created_at:%Y-%m-%d %H:%M} UTC"
            )
