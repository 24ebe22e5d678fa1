"""pylti1p3's Flask adapter wired to the database: tool configuration, launch storage and nonces live in
tables, so any worker finishes a launch another began. Each failed check becomes one LaunchRefused.

The library does the OIDC login, the signature check against the platform's key set, the registration,
deployment and message checks; these subclasses add what it lacks (see each override's docstring).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import jwt
import requests
from pylti1p3.contrib.flask import (
    FlaskCookieService,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
    FlaskSessionService,
)
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config import ToolConfAbstract

from orders.domain.lti import connections, keys, launches
from orders.domain.models import LtiConnection, LtiToolKey
from orders.domain.refusals import LaunchRefused

log = logging.getLogger(__name__)
OUTBOUND_TIMEOUT_SECONDS = 10  # key sets, tokens, rosters, registration: a silent platform must not hold a worker
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id")


class BoundedSession(requests.Session):
    """The library calls requests without a timeout; every outbound call here has one."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", OUTBOUND_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def outbound_session() -> requests.Session:
    session = BoundedSession()
    session.headers["User-Agent"] = "CourseMaterialsOrderTool-LTI"
    return session


class ToolRegistration(Registration):
    """A connection as the library sees it, signing with the tool's current key under its own kid."""

    def __init__(self, connection: LtiConnection, key: LtiToolKey | None):
        super().__init__()
        self.connection = connection
        self.set_issuer(connection.issuer).set_client_id(connection.client_id).set_key_set_url(connection.jwks_url)
        self.set_auth_token_url(connection.token_url).set_auth_login_url(connection.auth_url)
        self._key = key
        if key is not None:
            self.set_tool_private_key(key.private_pem)

    def get_kid(self) -> str | None:
        return self._key.kid if self._key is not None else None


class DatabaseToolConf(ToolConfAbstract):
    """The library's tool configuration, read from lti_connection: every issuer may have several client ids."""

    def __init__(self):
        super().__init__()
        self.connection: LtiConnection | None = None  # the one the last lookup found

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _registration(self, connection: LtiConnection | None) -> Registration | None:
        self.connection = connection
        return ToolRegistration(connection, keys.current()) if connection is not None else None

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self._registration(connections.find(iss))

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        # The login request may omit client_id: then the issuer must name exactly one connection.
        return self._registration(connections.find(iss, client_id or None))

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        connection = connections.find(iss, client_id)
        if connection is None or not connections.has_deployment(connection, deployment_id):
            return None
        return Deployment().set_deployment_id(deployment_id)


class DatabaseStorage(LaunchDataStorage):
    """The library's launch storage in lti_stored_value. No per-browser session-id cookie: the state cookie
    ties the launch to the browser that began the login."""

    def __init__(self, now: datetime):
        super().__init__()
        self.now = now

    def get_session_cookie_name(self):
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str):
        return launches.stored(self._prepare_key(key), self.now)

    def set_value(self, key: str, value, exp: int | None = None) -> None:
        launches.store(self._prepare_key(key), value, self.now, timedelta(seconds=exp or 3600))

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None


class DatabaseSessionService(FlaskSessionService):
    """Nonces in lti_nonce, used once; each login's state remembers its nonce and the login's parameters.

    The library only checks that a nonce exists (and keeps it for a day), and accepts the same state and
    id token again after a launch succeeded; here a nonce is spent by the launch that uses it, and a
    state never validates twice.
    """

    STATE_LIFETIME = int(launches.NONCE_LIFETIME.total_seconds())

    def __init__(self, request, now: datetime):
        super().__init__(request)
        self.now = now
        self.set_data_storage(DatabaseStorage(now))
        self._launch_data_lifetime = int(launches.LAUNCH_LIFETIME.total_seconds())
        self._nonce: str | None = None

    def save_nonce(self, nonce: str):
        self._nonce = nonce
        launches.issue_nonce(nonce, self.now)

    def check_nonce(self, nonce: str) -> bool:
        return launches.use_nonce(nonce, self.now)

    def save_state_params(self, state: str, params):
        self.data_storage.set_value(self._get_key(state), {**params, "nonce": self._nonce}, exp=self.STATE_LIFETIME)

    def set_state_valid(self, state: str, id_token_hash: str):
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False


class UncachedConnector(ServiceConnector):
    """Service calls (the roster) ask for a fresh access token: nothing kept per process."""

    def _get_cached_access_token(self, scope_key: str):
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float):
        return None


def services(now: datetime):
    """The request adapter, cookie service and database session service for one request."""
    request = FlaskRequest()
    return request, FlaskCookieService(request), DatabaseSessionService(request, now)


class ToolLogin(FlaskOIDCLogin):
    """The OIDC third-party initiated login (GET or POST /lti/login)."""

    def start(self, launch_url: str):
        """Check the login request, remember state and nonce, and redirect to the platform's authorization URL."""
        params = {key: self._get_request_param(key) for key in LOGIN_PARAMS if self._get_request_param(key)}
        try:
            return self.pass_params_to_launch({"login": params}).redirect(launch_url)
        except (LtiException, OIDCException) as error:  # OIDCException is not an LtiException
            message = str(error)
            if "registration" in message.lower():
                raise LaunchRefused(
                    f"No LMS connection is registered for issuer “{params.get('iss', '')}”"
                    f"{' and client id “' + params['client_id'] + '”' if params.get('client_id') else ''}. "
                    "A Program Administrator adds it under Administration → LMS connections.",
                    status=403, check="login",
                ) from None
            raise LaunchRefused(f"The LMS's login request is incomplete: {message}.", check="login") from None


class CookiesBlocked(LaunchRefused):
    """The launch came back without the state cookie our login set: the browser blocks cookies in the frame."""

    def __init__(self, login_params: dict):
        super().__init__(
            "Your browser blocked the cookies this tool needs inside the LMS page.", status=400, check="cookies"
        )
        self.login_params = login_params


class ToolLaunch(FlaskMessageLaunch):
    """The launch (POST /lti/launch): the library's checks, each failure named for the LMS administrator."""

    def _refuse(self, message: str, *, status: int = 400, check: str) -> LaunchRefused:
        return LaunchRefused(message, status=status, check=check)

    def validate_state(self):
        """The state must be one our login issued to this browser (its cookie); a known state without its
        cookie means the browser blocks cookies in the frame, so the page offers a new window."""
        state = self._get_request_param("state")
        if not state:
            raise self._refuse("The launch carried no state: it did not come through this tool's login.", check="state")
        if self._cookie_service.get_cookie(state) != state:
            params = self._session_service.get_state_params(state)
            if params:
                raise CookiesBlocked(params.get("login") or {})
            raise self._refuse(
                "The launch's state is unknown or expired: it did not come through this tool's login, or took "
                "more than 10 minutes. Launch the tool again from the course.",
                check="state",
            )
        return self

    def validate_jwt_format(self):
        try:
            return super().validate_jwt_format()
        except LtiException as error:
            raise self._refuse(f"The launch's id token is not a readable JWT ({error}).", check="format") from None

    def validate_nonce(self):
        """The id token's nonce must be the one our login issued for this state, and unused."""
        nonce = self._get_jwt_body().get("nonce")
        params = self._session_service.get_state_params(self._get_request_param("state"))
        if not params:
            raise self._refuse(
                "The login this launch belongs to has expired (after 10 minutes). "
                "Launch the tool again from the course.",
                check="nonce",
            )
        if not nonce or params.get("nonce") != nonce:
            raise self._refuse("The launch's nonce is not the one this tool's login issued for it.", check="nonce")
        if not self._session_service.check_nonce(nonce):
            raise self._refuse(
                "This launch was already used (or its nonce expired). Each launch can be used once: launch the "
                "tool again from the course.",
                check="nonce",
            )
        return self

    def validate_registration(self):
        """The issuer and client id name a connection; `aud` must contain our client id, and `azp`, when
        sent (required with several audiences), must be it (the library checks only the first `aud`)."""
        body = self._get_jwt_body()
        try:
            super().validate_registration()
        except LtiException:
            raise self._refuse(
                f"No LMS connection is registered for issuer “{body.get('iss', '')}” with client id (audience) "
                f"“{self.get_client_id()}”.",
                status=403,
                check="registration",
            ) from None
        client_id = self._registration.get_client_id() if self._registration else None
        aud = body.get("aud")
        audiences: Sequence[str | None] = aud if isinstance(aud, list) else (aud,)
        if client_id not in audiences:
            raise self._refuse(
                f"The launch's audience does not include client id “{client_id}”.", status=403, check="audience"
            )
        if (len(audiences) > 1 or "azp" in body) and body.get("azp") != client_id:
            raise self._refuse(
                f"The launch's authorized party (azp) is “{body.get('azp', '')}”, not client id “{client_id}”.",
                status=403,
                check="audience",
            )
        return self

    def validate_jwt_signature(self):
        """The signature against the platform's key set (the library), its failures told apart."""
        try:
            return super().validate_jwt_signature()
        except LtiException as error:
            cause = error.__cause__
            kid = self._jwt.get("header", {}).get("kid", "")
            if isinstance(cause, jwt.ExpiredSignatureError):
                raise self._refuse(
                    "The launch's id token has expired. Launch the tool again from the course.", check="expired"
                ) from None
            if isinstance(cause, jwt.InvalidSignatureError):
                raise self._refuse(
                    f"The launch's signature does not verify against the platform's key “{kid}”.",
                    status=403,
                    check="signature",
                ) from None
            if "Unable to find public key" in str(error):
                raise self._refuse(
                    f"The launch was signed with key id “{kid}”, which the platform's key set does not publish.",
                    status=403,
                    check="signature",
                ) from None
            raise self._refuse(
                f"The launch's id token could not be verified: {error}", status=403, check="signature"
            ) from None

    def validate_deployment(self):
        try:
            return super().validate_deployment()
        except LtiException:
            deployment = self._get_jwt_body().get("https://purl.imsglobal.org/spec/lti/claim/deployment_id", "")
            raise self._refuse(
                f"Deployment id “{deployment}” is not registered for this LMS connection. A Program Administrator "
                "adds it under Administration → LMS connections.",
                status=403,
                check="deployment",
            ) from None

    def validate_message(self):
        try:
            return super().validate_message()
        except LtiException as error:
            raise self._refuse(f"The launch is not a message this tool accepts ({error}).", check="message") from None


def launch_for(now: datetime) -> tuple[ToolLaunch, DatabaseToolConf]:
    """A launch to validate from this request."""
    request, cookies, session_service = services(now)
    conf = DatabaseToolConf()
    launch = ToolLaunch(
        request,
        conf,
        session_service=session_service,
        cookie_service=cookies,
        requests_session=outbound_session(),
        # FlaskMessageLaunch annotates this as type[FlaskServiceConnector], but hands it on to MessageLaunch,
        # which takes (and only needs) any type[ServiceConnector].
        service_connector_cls=UncachedConnector,  # type: ignore[arg-type]
    )
    return launch, conf


def restored_launch(launch_id: str, now: datetime) -> tuple[ToolLaunch, DatabaseToolConf]:
    """A launch validated earlier (its data in the database), for its services: the roster."""
    request, cookies, session_service = services(now)
    conf = DatabaseToolConf()
    try:
        launch = ToolLaunch.from_cache(
            launch_id,
            request,
            conf,
            session_service=session_service,
            cookie_service=cookies,
            requests_session=outbound_session(),
            service_connector_cls=UncachedConnector,
        )
    except LtiException:
        raise LaunchRefused(
            "This LMS launch has expired. Open the tool again from the course.", check="restore"
        ) from None
    return launch, conf  # type: ignore[return-value]


def login_for(now: datetime) -> ToolLogin:
    request, cookies, session_service = services(now)
    return ToolLogin(request, DatabaseToolConf(), session_service=session_service, cookie_service=cookies)
