"""All configuration, from the environment or `.env` (SPEC §9). Validated once at start."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.clinics import ClinicSettings, parse_clock, parse_quiet_hours, settings_policy
from core.policy import Policy


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///waitlist.db", alias="WAITLIST_DATABASE_URL")
    public_url: str = Field("http://localhost:8000", alias="WAITLIST_PUBLIC_URL")
    timezone: str = Field("America/New_York", alias="WAITLIST_TIMEZONE")
    jwt_secret: SecretStr | None = Field(None, alias="WAITLIST_JWT_SECRET")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = Field(
        "HS256", alias="WAITLIST_JWT_ALGORITHM"
    )
    jwt_issuer: str | None = Field(None, alias="WAITLIST_JWT_ISSUER")
    jwt_audience: str | None = Field(None, alias="WAITLIST_JWT_AUDIENCE")
    jwt_leeway_seconds: int = Field(30, ge=0, le=300, alias="WAITLIST_JWT_LEEWAY_SECONDS")
    slack_channel: str | None = Field(None, alias="WAITLIST_SLACK_CHANNEL")
    slack_staff: str = Field("", alias="WAITLIST_SLACK_STAFF")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_from_number: str | None = Field(None, alias="TWILIO_FROM_NUMBER")
    twilio_messaging_service_sid: str | None = Field(None, alias="TWILIO_MESSAGING_SERVICE_SID")
    twilio_api_base_url: str | None = Field(None, alias="TWILIO_API_BASE_URL")
    clinic_phone: str | None = Field(None, alias="WAITLIST_CLINIC_PHONE")  # in the HELP reply

    offer_batch_size: Annotated[int, Field(ge=1, le=100)] | Literal["auto"] = Field(
        3, alias="WAITLIST_OFFER_BATCH_SIZE"
    )
    offer_hold_minutes: int = Field(15, ge=1, le=24 * 60, alias="WAITLIST_OFFER_HOLD_MINUTES")
    offer_cutoff_minutes: int = Field(
        60, ge=0, le=7 * 24 * 60, alias="WAITLIST_OFFER_CUTOFF_MINUTES"
    )
    quiet_hours: str = Field("21:00-08:00", alias="WAITLIST_QUIET_HOURS")
    cap_per_day: int = Field(1, ge=0, alias="WAITLIST_CAP_PER_DAY")
    cap_per_week: int = Field(3, ge=0, alias="WAITLIST_CAP_PER_WEEK")
    max_wait_days: int = Field(30, ge=1, alias="WAITLIST_MAX_WAIT_DAYS")
    stats_time: str = Field("08:00", alias="WAITLIST_STATS_TIME")
    # A text claimed for sending and not confirmed within this is recovered by the sweep
    # (Twilio asked first). One send, retries included, always ends well inside it.
    sms_lease_seconds: int = Field(120, ge=2, le=3600, alias="WAITLIST_SMS_LEASE_SECONDS")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("stats_time")
    @classmethod
    def _valid_stats_time(cls, value: str) -> str:
        try:
            parse_clock(value)
        except ValueError as exc:
            raise ValueError(f"expected HH:MM, got {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value

    def clinic_defaults(self) -> ClinicSettings:
        """The environment's settings: what a clinic gets for every setting it leaves unset."""
        return ClinicSettings(
            slack_channel=self.slack_channel or None,
            slack_staff=tuple(sorted(self.staff_ids)),
            twilio_from_number=self.twilio_from_number or None,
            twilio_messaging_service_sid=self.twilio_messaging_service_sid or None,
            clinic_phone=self.clinic_phone or None,
            offer_batch_size=self.offer_batch_size,
            offer_hold_minutes=self.offer_hold_minutes,
            offer_cutoff_minutes=self.offer_cutoff_minutes,
            quiet_hours=self.quiet_hours.strip(),
            cap_per_day=self.cap_per_day,
            cap_per_week=self.cap_per_week,
            max_wait_days=self.max_wait_days,
            stats_time=self.stats_time.strip(),
        )

    def policy(self) -> Policy:
        """The deployment's policy; a clinic's own is `core.clinics.clinic_config(...).policy`."""
        return settings_policy(self.clinic_defaults(), Policy())

    @property
    def sms_lease(self) -> timedelta:
        return timedelta(seconds=self.sms_lease_seconds)

    @property
    def staff_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.slack_staff.split(",") if part.strip())


def twilio_ready(settings: Settings) -> bool:
    """Credentials: enough to text through Twilio. The sender is each clinic's own number or
    Messaging Service, else TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)
