"""Settings from environment variables and `.env` (prefix-free names, as deployments expect)."""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.workdays import Workdays

DEFAULT_DATABASE = "sqlite:///./empirie.db"  # the embedded database `make run` starts with


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default=DEFAULT_DATABASE, alias="EMPIRIE_DATABASE_URL")
    timezone: str = Field(default="Europe/Warsaw", alias="EMPIRIE_TIMEZONE")
    default_language: str = Field(default="pl", alias="EMPIRIE_LANGUAGE")
    log_level: str = Field(default="INFO", alias="EMPIRIE_LOG_LEVEL")
    # json: one JSON object per line with real fields (for a log collector); text: for people
    log_format: str = Field(default="json", alias="EMPIRIE_LOG_FORMAT", pattern=r"^(json|text)$")
    console_log_file: str = Field(default="./empirie.log", alias="EMPIRIE_CONSOLE_LOG_FILE")
    files_dir: str = Field(default="./empirie-files", alias="EMPIRIE_FILES_DIR")
    invitation_days: int = Field(default=7, alias="EMPIRIE_INVITATION_DAYS", ge=1, le=90)
    # None: the demo cast only for the console chat on the embedded default database.
    seed_demo: bool | None = Field(default=None, alias="EMPIRIE_SEED_DEMO")

    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="", alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str = Field(default="", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field(default="", alias="TELEGRAM_WEBHOOK_SECRET")
    # Telegram's published flood limits; tests raise them to keep runs short.
    telegram_rate_overall: float = Field(default=30, alias="TELEGRAM_RATE_OVERALL")
    telegram_rate_group_per_minute: float = Field(default=20, alias="TELEGRAM_RATE_GROUP")
    telegram_chat_interval: float = Field(default=1.0, alias="TELEGRAM_CHAT_INTERVAL")
    telegram_read_timeout: float = Field(default=10, alias="TELEGRAM_TIMEOUT")
    telegram_poll_timeout: int = Field(default=10, alias="TELEGRAM_POLL_TIMEOUT")

    # Microsoft Teams through Microsoft Graph, as a delegated service account (README: Teams).
    teams_tenant_id: str = Field(default="", alias="EMPIRIE_TEAMS_TENANT_ID")
    teams_client_id: str = Field(default="", alias="EMPIRIE_TEAMS_CLIENT_ID")
    teams_auth_record_file: str = Field(
        default="./teams-auth-record.json", alias="EMPIRIE_TEAMS_AUTH_RECORD_FILE"
    )
    # Entra ID's sign-in host (another cloud's, or a local stand-in in tests)
    teams_authority: str = Field(
        default="login.microsoftonline.com", alias="EMPIRIE_TEAMS_AUTHORITY"
    )
    # azure-identity keeps the token cache in ~/.IdentityService/<name>.cae (CAE tokens)
    teams_token_cache_name: str = Field(default="empirie-bot", alias="EMPIRIE_TEAMS_CACHE_NAME")
    teams_allow_unencrypted_storage: bool = Field(
        default=False, alias="EMPIRIE_TEAMS_ALLOW_UNENCRYPTED_STORAGE"
    )
    teams_notification_url: str = Field(default="", alias="EMPIRIE_TEAMS_NOTIFICATION_URL")
    teams_client_state: str = Field(default="", alias="EMPIRIE_TEAMS_CLIENT_STATE")
    teams_graph_base_url: str = Field(default="", alias="EMPIRIE_TEAMS_GRAPH_BASE_URL")
    teams_rate_per_chat: float = Field(default=1.0, alias="EMPIRIE_TEAMS_RATE_PER_CHAT")
    teams_rate_overall: float = Field(default=4.0, alias="EMPIRIE_TEAMS_RATE_OVERALL")
    teams_subscription_hours: float = Field(
        default=70, alias="EMPIRIE_TEAMS_SUBSCRIPTION_HOURS", gt=0, le=72
    )
    teams_calendar_poll_seconds: float = Field(
        default=600, alias="EMPIRIE_TEAMS_CALENDAR_POLL_SECONDS"
    )
    teams_upkeep_seconds: float = Field(default=300, alias="EMPIRIE_TEAMS_UPKEEP_SECONDS")
    teams_discover_seconds: float = Field(default=900, alias="EMPIRIE_TEAMS_DISCOVER_SECONDS")

    # 127.0.0.1: only this machine (a reverse proxy in front); the image sets 0.0.0.0
    http_host: str = Field(default="127.0.0.1", alias="EMPIRIE_HTTP_HOST")
    http_port: int = Field(default=8080, alias="EMPIRIE_HTTP_PORT", ge=0, le=65535)
    # `empirie-bot worker` serves /healthz, /readyz and /metrics too (the image turns it on)
    worker_http: bool = Field(default=False, alias="EMPIRIE_WORKER_HTTP")
    # Answer pages (bot/pages): the external address of the HTTP server; empty: no links.
    public_url: str = Field(default="", alias="EMPIRIE_PUBLIC_URL")
    page_secret: str = Field(default="", alias="EMPIRIE_PAGE_SECRET")  # empty: generated, stored
    page_link_days: int = Field(default=14, alias="EMPIRIE_PAGE_LINK_DAYS", ge=1, le=90)

    outbox_poll_seconds: float = Field(default=1.0, alias="EMPIRIE_OUTBOX_POLL_SECONDS")
    outbox_max_attempts: int = Field(default=8, alias="EMPIRIE_OUTBOX_MAX_ATTEMPTS")
    jobs_poll_seconds: float = Field(default=30.0, alias="EMPIRIE_JOBS_POLL_SECONDS")
    # how long handled platform event ids are kept against redelivery (then purged daily)
    processed_events_days: int = Field(
        default=14, alias="EMPIRIE_PROCESSED_EVENTS_DAYS", ge=1, le=365
    )

    # Feedback polls: sent this long after a meeting ends, one reminder, then closed.
    feedback_delay_minutes: int = Field(
        default=30, alias="EMPIRIE_FEEDBACK_DELAY_MINUTES", ge=0, le=7 * 24 * 60
    )
    feedback_reminder_hours: int = Field(
        default=48, alias="EMPIRIE_FEEDBACK_REMINDER_HOURS", ge=1, le=24 * 30
    )
    feedback_close_days: int = Field(default=7, alias="EMPIRIE_FEEDBACK_CLOSE_DAYS", ge=1, le=90)

    @property
    def feedback_delay(self) -> timedelta:
        return timedelta(minutes=self.feedback_delay_minutes)

    # The attendance list (lista obecności) the office archives: the programme's name and the
    # grant's wording at the top of the PDF ("|" separates lines), and blank rows at the end
    # of the in-person section for people who come unannounced.
    programme_name: str = Field(
        default="EMPIRIE — Sieci Wymiany Doświadczeń", alias="EMPIRIE_PROGRAMME_NAME"
    )
    attendance_header: str = Field(
        default="Program „Rozwój Lokalny”, realizowany ze środków MF EOG na lata 2014–2021",
        alias="EMPIRIE_ATTENDANCE_HEADER",
    )
    attendance_blank_rows: int = Field(
        default=5, alias="EMPIRIE_ATTENDANCE_BLANK_ROWS", ge=0, le=50
    )

    @property
    def attendance_header_lines(self) -> list[str]:
        return [line.strip() for line in self.attendance_header.split("|") if line.strip()]

    # Funding-call digests (handlers/funding*, jobs/funding.py, bot/sources).
    funding_digest_weekday: int = Field(
        default=0, alias="EMPIRIE_FUNDING_DIGEST_WEEKDAY", ge=0, le=6
    )  # 0 = Monday
    funding_digest_time: str = Field(
        default="09:00", alias="EMPIRIE_FUNDING_DIGEST_TIME", pattern=r"^\d{1,2}:\d{2}$"
    )
    funding_soon_days: int = Field(default=14, alias="EMPIRIE_FUNDING_SOON_DAYS", ge=1, le=60)
    funding_digest_cap: int = Field(default=15, alias="EMPIRIE_FUNDING_DIGEST_CAP", ge=3, le=100)
    funding_meeting_days: int = Field(default=3, alias="EMPIRIE_FUNDING_MEETING_DAYS", ge=1, le=14)
    funding_poll_hours: float = Field(default=6, alias="EMPIRIE_FUNDING_POLL_HOURS", ge=1)
    # off by default: the EU portal is on the internet; deployments turn it on
    funding_eu_enabled: bool = Field(default=False, alias="EMPIRIE_FUNDING_EU")
    funding_eu_url: str = Field(
        default="https://api.tech.ec.europa.eu/search-api/prod/rest/search",
        alias="EMPIRIE_FUNDING_EU_URL",
    )
    funding_eu_text: str = Field(default="***", alias="EMPIRIE_FUNDING_EU_TEXT")
    funding_eu_max_pages: int = Field(default=10, alias="EMPIRIE_FUNDING_EU_MAX_PAGES", ge=1)
    funding_http_timeout: float = Field(default=20, alias="EMPIRIE_FUNDING_HTTP_TIMEOUT", gt=0)
    funding_feed_max_bytes: int = Field(
        default=5_000_000, alias="EMPIRIE_FUNDING_FEED_MAX_BYTES", ge=10_000
    )
    funding_feed_silent_days: int = Field(
        default=90, alias="EMPIRIE_FUNDING_FEED_SILENT_DAYS", ge=7
    )

    # Expert office hours (README: Office hours).
    office_open_days: int = Field(default=7, alias="EMPIRIE_OFFICE_OPEN_DAYS", ge=0, le=60)
    office_cutoff_minutes: int = Field(default=120, alias="EMPIRIE_OFFICE_CUTOFF_MINUTES", ge=0)
    office_offer_minutes: int = Field(default=30, alias="EMPIRIE_OFFICE_OFFER_MINUTES", ge=1)
    office_horizon_days: int = Field(default=42, alias="EMPIRIE_OFFICE_HORIZON_DAYS", ge=1, le=366)

    # Working days (core/workdays.py): work that would fall on a weekend or a public holiday
    # of this country moves to the next working morning; empty country: weekends only.
    working_days: bool = Field(default=True, alias="EMPIRIE_WORKING_DAYS")
    holidays_country: str = Field(default="PL", alias="EMPIRIE_HOLIDAYS_COUNTRY", max_length=8)
    working_morning: str = Field(
        default="09:00", alias="EMPIRIE_WORKING_MORNING", pattern=r"^\d{1,2}:\d{2}$"
    )
    # the office's own days off besides public holidays: ISO dates, comma-separated
    days_off: str = Field(default="", alias="EMPIRIE_DAYS_OFF")

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def workdays(self) -> Workdays:
        hh, mm = (int(x) for x in self.working_morning.split(":"))
        return Workdays(
            tz=self.tz,
            country=self.holidays_country,
            morning=time(hh, mm),
            extra=frozenset(
                date.fromisoformat(d.strip()) for d in self.days_off.split(",") if d.strip()
            ),
            enabled=self.working_days,
        )

    outbox_lease_seconds: float = Field(default=60, alias="EMPIRIE_OUTBOX_LEASE_SECONDS")

    @property
    def demo_cast(self) -> bool:
        """Load the invented demo people? Only for the console on the embedded default
        database, or when asked (EMPIRIE_SEED_DEMO=true): never into a platform deployment,
        nor into a database of its own (an empty production database stays empty)."""
        if self.seed_demo is not None:
            return self.seed_demo
        return not self.platforms_enabled and self.database_url == DEFAULT_DATABASE

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def platforms_enabled(self) -> bool:
        """A chat platform is configured (else `run` is the console chat)."""
        return self.telegram_enabled or self.teams_enabled

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_client_id or self.teams_graph_base_url)

    @property
    def active_platforms(self) -> list[str]:
        """Platforms the bot runs on, in order of preference for private messages."""
        platforms = ["telegram"] if self.telegram_enabled else []
        if self.teams_enabled:
            platforms.append("teams")
        return platforms or ["console"]
