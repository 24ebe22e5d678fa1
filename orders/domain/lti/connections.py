"""LMS connections: register, change and remove a platform, each change audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from orders.domain.audit import record
from orders.domain.lti.keys import ensure_key
from orders.domain.models import LtiConnection, LtiDeployment, PersonMatch, User
from orders.domain.refusals import RuleBroken
from orders.extensions import db


@dataclass(frozen=True)
class ConnectionFields:
    """What a Program Administrator (or `lti-register`, or Dynamic Registration) says about a platform."""

    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_url: str
    token_url: str
    jwks_url: str
    match: str = PersonMatch.EMAIL.value
    lms_url: str = ""


def _url(value: str, label: str, *, allow_http: bool) -> str:
    """An absolute https URL (http only where the caller allows it: development and tests)."""
    value = (value or "").strip()
    parts = urlsplit(value)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc or len(value) > 500 or not value.isprintable():
        need = "an https:// address" if not allow_http else "an http:// or https:// address"
        raise RuleBroken(f"{label} must be {need} (got “{value[:80]}”).")
    return value


def _clean(fields: ConnectionFields, *, allow_http: bool) -> dict:
    """The fields checked and trimmed; any problem is one RuleBroken naming the field."""
    client_id = (fields.client_id or "").strip()
    if not client_id or len(client_id) > 200 or not client_id.isprintable():
        raise RuleBroken("Client id is required (as the LMS shows it, at most 200 characters).")
    deployments = tuple(dict.fromkeys(d.strip() for d in fields.deployment_ids if d and d.strip()))
    if not deployments:
        raise RuleBroken("Give at least one deployment id (the LMS shows it when the tool is deployed).")
    if any(len(d) > 200 or not d.isprintable() for d in deployments):
        raise RuleBroken("A deployment id is at most 200 printable characters.")
    if fields.match not in {m.value for m in PersonMatch}:
        raise RuleBroken("People are matched by email or by SIS id.")
    return dict(
        issuer=_url(fields.issuer, "Issuer", allow_http=allow_http),
        client_id=client_id,
        auth_url=_url(fields.auth_url, "Authorization URL", allow_http=allow_http),
        token_url=_url(fields.token_url, "Access token URL", allow_http=allow_http),
        jwks_url=_url(fields.jwks_url, "Key set URL", allow_http=allow_http),
        match=PersonMatch(fields.match),
        lms_url=_url(fields.lms_url, "LMS address", allow_http=allow_http) if (fields.lms_url or "").strip() else None,
        deployment_ids=deployments,
    )


def audit_values(connection: LtiConnection) -> dict:
    """A connection as the audit log stores it."""
    return {
        "issuer": connection.issuer, "client_id": connection.client_id, "deployment_ids": connection.deployment_ids,
        "auth_url": connection.auth_url, "token_url": connection.token_url, "jwks_url": connection.jwks_url,
        "match": connection.match.value, "lms_url": connection.lms_url,
    }


def _target(connection: LtiConnection) -> str:
    return f"LMS connection {connection.issuer} (client {connection.client_id})"


def find(issuer: str, client_id: str | None = None) -> LtiConnection | None:
    """The connection for an issuer (and client id, when the issuer has several)."""
    query = select(LtiConnection).where(LtiConnection.issuer == issuer).options(selectinload(LtiConnection.deployments))
    if client_id is not None:
        query = query.where(LtiConnection.client_id == client_id)
    found = list(db.session.scalars(query.order_by(LtiConnection.id).limit(2)))
    return found[0] if len(found) == 1 else None


def all_connections() -> list[LtiConnection]:
    return list(
        db.session.scalars(
            select(LtiConnection)
            .options(selectinload(LtiConnection.deployments))
            .order_by(LtiConnection.issuer, LtiConnection.id)
        )
    )


def register(fields: ConnectionFields, *, actor: User | None, now: datetime, allow_http: bool = False) -> LtiConnection:
    """Add a platform (and the tool's first key pair if it has none); refused when issuer + client id exist."""
    values = _clean(fields, allow_http=allow_http)
    deployments = values.pop("deployment_ids")
    if (
        db.session.scalar(
            select(LtiConnection.id).where(
                LtiConnection.issuer == values["issuer"], LtiConnection.client_id == values["client_id"]
            )
        )
        is not None
    ):
        raise RuleBroken(f"A connection for {values['issuer']} with client id {values['client_id']} already exists.")
    connection = LtiConnection(created_at=now, **values)
    connection.deployments = [LtiDeployment(deployment_id=d) for d in deployments]
    db.session.add(connection)
    db.session.flush()
    ensure_key(actor=actor, now=now)
    record("lti.connection_added", _target(connection), None, audit_values(connection), actor=actor, now=now)
    return connection


def update(
    connection: LtiConnection, fields: ConnectionFields, *, actor: User | None, now: datetime, allow_http: bool = False
) -> LtiConnection:
    """Change a platform's fields and deployment ids; only what changed is audited."""
    values = _clean(fields, allow_http=allow_http)
    deployments = values.pop("deployment_ids")
    clash = db.session.scalar(
        select(LtiConnection.id).where(
            LtiConnection.issuer == values["issuer"],
            LtiConnection.client_id == values["client_id"],
            LtiConnection.id != connection.id,
        )
    )
    if clash is not None:
        raise RuleBroken(f"Another connection already uses {values['issuer']} with client id {values['client_id']}.")
    before = audit_values(connection)
    for key, value in values.items():
        setattr(connection, key, value)
    kept = {d.deployment_id: d for d in connection.deployments}
    connection.deployments = [kept.get(d) or LtiDeployment(deployment_id=d) for d in deployments]
    db.session.flush()
    after = audit_values(connection)
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        record(
            "lti.connection_changed",
            _target(connection),
            {k: before[k] for k in changed},
            changed,
            actor=actor,
            now=now,
        )
    return connection


def remove(connection: LtiConnection, *, actor: User, now: datetime) -> None:
    """Remove a platform: its launches, remembered people and course links go with it."""
    before = audit_values(connection)
    target = _target(connection)
    db.session.delete(connection)
    db.session.flush()
    record("lti.connection_removed", target, before, None, actor=actor, now=now)


def has_deployment(connection: LtiConnection, deployment_id: str) -> bool:
    return deployment_id in connection.deployment_ids


def origin(url: str | None) -> str | None:
    """scheme://host[:port] of a URL, or None."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def frame_origins(connections: list[LtiConnection]) -> list[str]:
    """The origins allowed to frame the tool: each platform's issuer and LMS address (CSP frame-ancestors)."""
    found: dict[str, None] = {}
    for connection in connections:
        for url in (connection.issuer, connection.lms_url):
            value = origin(url)
            if value:
                found[value] = None
    return list(found)
