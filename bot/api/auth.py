"""Bearer JWT for the REST API: who is calling, and with which role.

The algorithm comes from configuration, never from the token's header, so `alg: none` and
algorithm-confusion tokens fail verification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request

from bot.settings import Settings
from core.errors import NotFound
from core.limits import MAX_ID


class Role(StrEnum):
    USER = "USER"  # a patient: only their own waitlist requests
    STAFF = "STAFF"
    ADMIN = "ADMIN"


class Unauthorized(Exception):
    """No valid token: 401."""


class Forbidden(Exception):
    """A valid token whose role may not do this: 403."""


@dataclass(frozen=True)
class Principal:
    sub: str
    role: Role
    patient_id: int | None = None
    # A STAFF token's `clinic_ids`: the clinics it may see. None: every clinic (ADMIN, and a
    # STAFF token without the claim, as in a one-clinic deployment).
    clinic_ids: frozenset[int] | None = None

    @property
    def is_patient(self) -> bool:
        return self.role is Role.USER

    def sees(self, clinic_id: int | None) -> bool:
        """Whether objects of this clinic exist for the caller (others are 404 to them)."""
        return self.clinic_ids is None or clinic_id in self.clinic_ids

    def clinic_filter(self, clinic_id: int | None) -> tuple[int | None, tuple[int, ...]]:
        """A list's clinic filter: (the one clinic asked for, the clinics it may see). A
        clinic not theirs is NotFound, as its objects are."""
        if clinic_id is not None and not self.sees(clinic_id):
            raise NotFound(f"Clinic {clinic_id} does not exist.")
        return clinic_id, tuple(sorted(self.clinic_ids or ()))

    @property
    def actor(self) -> str:
        return f"api:{self.sub}"[:100]


def mint_token(
    settings: Settings,
    *,
    sub: str,
    role: Role,
    patient_id: int | None = None,
    minutes: int = 60,
    now: datetime | None = None,
    clinic_ids: Sequence[int] | None = None,
) -> str:
    """A signed token for local use and tests."""
    secret = _secret(settings)
    if role is Role.USER and patient_id is None:
        raise ValueError("a USER token needs a patient id")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub,
        "role": role.value,
        "iat": issued,
        "exp": issued + timedelta(minutes=minutes),
    }
    if patient_id is not None:
        claims["patient_id"] = patient_id
    if clinic_ids is not None:
        claims["clinic_ids"] = list(clinic_ids)
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, secret, algorithm=settings.jwt_algorithm)


def verify_token(settings: Settings, token: str) -> Principal:
    """The caller named by a valid token; Unauthorized for anything else."""
    secret = _secret(settings)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_seconds,
            options={
                "require": ["exp", "sub"],
                "verify_aud": settings.jwt_audience is not None,
            },
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The token has expired.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"The token lacks the {exc.claim!r} claim.") from exc
    except (jwt.InvalidIssuerError, jwt.InvalidAudienceError) as exc:
        raise Unauthorized("The token is for another issuer or audience.") from exc
    except jwt.PyJWTError as exc:
        # The decoder's own words ("Invalid header padding", …) help no caller.
        raise Unauthorized("The token is not a valid signed JWT.") from exc
    try:
        role = Role(claims.get("role"))
    except ValueError as exc:
        raise Unauthorized("The token's role must be USER, STAFF or ADMIN.") from exc
    patient_id = _patient_id(claims.get("patient_id"))
    if role is Role.USER and patient_id is None:
        raise Unauthorized(f"A USER token needs a numeric patient_id from 1 to {MAX_ID}.")
    clinic_ids = None
    if claims.get("clinic_ids") is not None:
        if role is not Role.STAFF:  # a limit it would not have: refused, not ignored
            raise Unauthorized(
                f"Only a STAFF token carries clinic_ids; a {role.value} token is not limited "
                "to clinics. Leave the claim out, or make it a STAFF token."
            )
        clinic_ids = _clinic_ids(claims["clinic_ids"])
    return Principal(
        sub=str(claims["sub"]), role=role, patient_id=patient_id, clinic_ids=clinic_ids
    )


def principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller of this request."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send 'Authorization: Bearer <token>'.")
    return verify_token(request.app.state.runtime.settings, token.strip())


def require(caller: Principal, *roles: Role) -> None:
    """Staff and admins are told what role a route needs (403); to a patient (USER) a route
    that is not theirs does not exist (404), as SPEC §7 has it: no existence leak."""
    if caller.role in roles:
        return
    if caller.role is Role.USER:
        raise NotFound("Not found.")
    raise Forbidden(f"This needs the {' or '.join(r.value for r in roles)} role.")


def _secret(settings: Settings) -> str:
    if settings.jwt_secret is None or not settings.jwt_secret.get_secret_value():
        raise Unauthorized("The API is not configured: WAITLIST_JWT_SECRET is not set.")
    return settings.jwt_secret.get_secret_value()


def _clinic_ids(value: object) -> frozenset[int]:
    """The `clinic_ids` claim: a list of clinic ids (or one id, or "1,2")."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        items = [items]
    ids = [_patient_id(item.strip() if isinstance(item, str) else item) for item in items]
    if any(i is None for i in ids):
        raise Unauthorized(f"The token's clinic_ids must be ids from 1 to {MAX_ID}.")
    if not ids:  # not "every clinic": leave the claim out for that
        raise Unauthorized("The token's clinic_ids names no clinic.")
    return frozenset(i for i in ids if i is not None)


def _patient_id(value: object) -> int | None:
    """The claim as an id the database can hold; None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None
