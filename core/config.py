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
    """Every setting, from the environment or `.env`. Each has a `description`: the
    configuration reference (docs/operations/configuration.md) and `.env.example` are generated
    from them (`python -m tools.docs`; tests/test_docs.py fails when they are stale)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE,
        alias="EMPIRIE_DATABASE_URL",
        description="The database, as an SQLAlchemy URL: `postgresql+psycopg://user:password@host:5432/name` in production; the default SQLite file is for trying the bot out.",
    )
    timezone: str = Field(
        default="Europe/Warsaw",
        alias="EMPIRIE_TIMEZONE",
        description="The time zone of dates and times people see and type (IANA name).",
    )
    default_language: str = Field(
        default="pl",
        alias="EMPIRIE_LANGUAGE",
        description="The language of the bot's messages until a person chooses their own: `pl` or `en`.",
    )
    log_level: str = Field(
        default="INFO",
        alias="EMPIRIE_LOG_LEVEL",
        description="How much is logged: DEBUG, INFO, WARNING or ERROR. At INFO the logs carry ids only, never names or message texts.",
    )
    log_format: str = Field(
        default="json",
        alias="EMPIRIE_LOG_FORMAT",
        pattern=r"^(json|text)$",
        description="`json`: one JSON object per line with the event's fields (for a log collector); `text`: plain lines for a person reading a terminal.",
    )
    console_log_file: str = Field(
        default="./empirie.log",
        alias="EMPIRIE_CONSOLE_LOG_FILE",
        description="Where the console chat (`empirie-bot run` with no platform) writes its logs, since it owns the terminal.",
    )
    files_dir: str = Field(
        default="./empirie-files",
        alias="EMPIRIE_FILES_DIR",
        description="A directory for files the bot writes (the console chat's attachments); included in `empirie-bot backup`.",
    )
    invitation_days: int = Field(
        default=7,
        alias="EMPIRIE_INVITATION_DAYS",
        ge=1,
        le=90,
        description="How many days an invitation code (`empirie-bot invite`) stays valid.",
    )
    # None: the demo cast only for the console chat on the embedded default database.
    seed_demo: bool | None = Field(
        default=None,
        alias="EMPIRIE_SEED_DEMO",
        description="Load the invented demo people: `true` or `false`. Empty: only for the console chat on the default SQLite file, never on a platform.",
    )

    telegram_bot_token: str = Field(
        default="",
        alias="TELEGRAM_BOT_TOKEN",
        description="The Telegram bot's token from @BotFather. Set: the bot runs on Telegram.",
    )
    telegram_api_base_url: str = Field(
        default="",
        alias="TELEGRAM_API_BASE_URL",
        description="Another Bot API server (a local one, or a test stand-in); empty: Telegram's own.",
    )
    telegram_webhook_url: str = Field(
        default="",
        alias="TELEGRAM_WEBHOOK_URL",
        description="The public HTTPS address Telegram posts updates to (`<public URL>/telegram/webhook`); empty: the bot polls Telegram instead (one process only).",
    )
    telegram_webhook_secret: str = Field(
        default="",
        alias="TELEGRAM_WEBHOOK_SECRET",
        description="A long random value Telegram sends with every update; other requests to the webhook are refused. Required with a webhook.",
    )
    # Telegram's published flood limits; tests raise them to keep runs short.
    telegram_rate_overall: float = Field(
        default=30,
        alias="TELEGRAM_RATE_OVERALL",
        description="Messages per second to all chats together (Telegram's published limit: 30).",
    )
    telegram_rate_group_per_minute: float = Field(
        default=20,
        alias="TELEGRAM_RATE_GROUP",
        description="Messages per minute to one group (Telegram's published limit: 20).",
    )
    telegram_chat_interval: float = Field(
        default=1.0,
        alias="TELEGRAM_CHAT_INTERVAL",
        description="Seconds between two messages to one chat (Telegram's limit: about 1).",
    )
    telegram_read_timeout: float = Field(
        default=10,
        alias="TELEGRAM_TIMEOUT",
        description="Seconds to wait for Telegram's answer to one request.",
    )
    telegram_poll_timeout: int = Field(
        default=10,
        alias="TELEGRAM_POLL_TIMEOUT",
        description="Seconds one long poll waits for updates (polling mode only).",
    )

    # Microsoft Teams through Microsoft Graph, as a delegated service account (README: Teams).
    teams_tenant_id: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_TENANT_ID",
        description="The Microsoft Entra tenant (directory) id of the organisation whose Teams the bot uses.",
    )
    teams_client_id: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_CLIENT_ID",
        description="The application (client) id of the bot's app registration in Entra ID. Set: the bot runs on Microsoft Teams.",
    )
    teams_client_secret: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_CLIENT_SECRET",
        description='A client secret of the same app registration, for "Sign in with Microsoft" on the staff desk (OpenID Connect, redirect URI `<public URL>/desk/login/microsoft/callback`); empty: the desk offers only the `/panel` link.',
    )
    teams_auth_record_file: str = Field(
        default="./teams-auth-record.json",
        alias="EMPIRIE_TEAMS_AUTH_RECORD_FILE",
        description="Where `empirie-bot teams login` keeps the service account's sign-in record (no secret in it; the tokens are in the token cache).",
    )
    # Entra ID's sign-in host (another cloud's, or a local stand-in in tests)
    teams_authority: str = Field(
        default="login.microsoftonline.com",
        alias="EMPIRIE_TEAMS_AUTHORITY",
        description="Entra ID's sign-in host (another cloud's, or a local stand-in in tests).",
    )
    # azure-identity keeps the token cache in ~/.IdentityService/<name>.cae (CAE tokens)
    teams_token_cache_name: str = Field(
        default="empirie-bot",
        alias="EMPIRIE_TEAMS_CACHE_NAME",
        description="The name of the token cache file in `~/.IdentityService/` (`<name>.cae`).",
    )
    teams_allow_unencrypted_storage: bool = Field(
        default=False,
        alias="EMPIRIE_TEAMS_ALLOW_UNENCRYPTED_STORAGE",
        description="Keep the token cache as a plain file (readable by the bot's user only) where no keyring exists, e.g. in a container; the image sets it.",
    )
    teams_notification_url: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_NOTIFICATION_URL",
        description="The public HTTPS address Microsoft Graph posts change notifications to (`<public URL>/teams/notifications`); empty: Teams messages are not received.",
    )
    teams_client_state: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_CLIENT_STATE",
        description="A long random value Graph returns with every notification; others are refused. Required with notifications.",
    )
    teams_graph_base_url: str = Field(
        default="",
        alias="EMPIRIE_TEAMS_GRAPH_BASE_URL",
        description="Another Microsoft Graph address (a local stand-in in tests); empty: Microsoft's.",
    )
    teams_rate_per_chat: float = Field(
        default=1.0,
        alias="EMPIRIE_TEAMS_RATE_PER_CHAT",
        description="Messages per second to one Teams chat or channel.",
    )
    teams_rate_overall: float = Field(
        default=4.0,
        alias="EMPIRIE_TEAMS_RATE_OVERALL",
        description="Messages per second to Teams altogether.",
    )
    teams_subscription_hours: float = Field(
        default=70,
        alias="EMPIRIE_TEAMS_SUBSCRIPTION_HOURS",
        gt=0,
        le=72,
        description="How long each Graph subscription is asked for (Graph allows at most 72 hours); they are renewed before they end.",
    )
    teams_calendar_poll_seconds: float = Field(
        default=600,
        alias="EMPIRIE_TEAMS_CALENDAR_POLL_SECONDS",
        description="How often meetings are compared with their Outlook calendar events; 0: never.",
    )
    teams_upkeep_seconds: float = Field(
        default=300,
        alias="EMPIRIE_TEAMS_UPKEEP_SECONDS",
        description="How often subscriptions are created and renewed and missed messages recovered.",
    )
    teams_discover_seconds: float = Field(
        default=900,
        alias="EMPIRIE_TEAMS_DISCOVER_SECONDS",
        description="How often the bot looks for new chats and channels it was added to.",
    )

    http_host: str = Field(
        default="127.0.0.1",
        alias="EMPIRIE_HTTP_HOST",
        description="The address the HTTP server listens on: 127.0.0.1 (only this machine, a reverse proxy in front) or 0.0.0.0 (every interface; the image sets it).",
    )
    http_port: int = Field(
        default=8080,
        alias="EMPIRIE_HTTP_PORT",
        ge=0,
        le=65535,
        description="The HTTP server's port (webhooks, answer pages, /healthz, /readyz, /metrics).",
    )
    worker_http: bool = Field(
        default=False,
        alias="EMPIRIE_WORKER_HTTP",
        description="`empirie-bot worker` serves /healthz, /readyz and /metrics too, on the same host and port (the image sets it).",
    )
    # Answer pages (bot/pages): the external address of the HTTP server; empty: no links.
    public_url: str = Field(
        default="",
        alias="EMPIRIE_PUBLIC_URL",
        description="The bot's public HTTPS address (`https://bot.example.org`), used in links to the answer pages; empty: no page links are offered.",
    )
    page_secret: str = Field(
        default="",
        alias="EMPIRIE_PAGE_SECRET",
        description="The key that signs page links; empty: one is generated and kept in the database (and so in backups).",
    )  # empty: generated, stored
    page_link_days: int = Field(
        default=14,
        alias="EMPIRIE_PAGE_LINK_DAYS",
        ge=1,
        le=90,
        description="How many days a page link works.",
    )

    outbox_poll_seconds: float = Field(
        default=1.0,
        alias="EMPIRIE_OUTBOX_POLL_SECONDS",
        description="How often the outbox is checked for messages to send (new messages also wake it at once).",
    )
    outbox_max_attempts: int = Field(
        default=8,
        alias="EMPIRIE_OUTBOX_MAX_ATTEMPTS",
        description="Sending attempts before a message is given up (marked failed).",
    )
    jobs_poll_seconds: float = Field(
        default=30.0,
        alias="EMPIRIE_JOBS_POLL_SECONDS",
        description="How often due work (reminders, reports, polls) is checked.",
    )
    sweep_seconds: float = Field(
        default=60.0,
        alias="EMPIRIE_SWEEP_SECONDS",
        ge=0,
        description="How often the periodic checks that are not tied to one due task run (join-request summaries, delivery reports, office-hours sessions ahead, funding digests, report reminders); a due-work tick in between only looks for due tasks.",
    )
    # how long handled platform event ids are kept against redelivery (then purged daily)
    processed_events_days: int = Field(
        default=14,
        alias="EMPIRIE_PROCESSED_EVENTS_DAYS",
        ge=1,
        le=365,
        description="How long ids of handled platform updates are kept against redelivery (then purged daily).",
    )
    outbox_keep_days: int = Field(
        default=30,
        alias="EMPIRIE_OUTBOX_KEEP_DAYS",
        ge=1,
        le=3650,
        description="How many days a sent or failed message keeps its text and files in the outbox; then, once a day, only its delivery (to whom, when, how it went) is kept in the delivery log, for the delivery reports, and files no message needs are deleted.",
    )

    # Join requests (/zglos): a network's coordinators get one summary of what came in at most
    # this often (never a message per request), and a network takes at most this many new
    # requests per hour that still wait for a decision (more are refused: try again later).
    join_summary_minutes: int = Field(
        default=30,
        alias="EMPIRIE_JOIN_SUMMARY_MINUTES",
        ge=1,
        le=24 * 60,
        description="Join requests: a network's coordinators get at most one summary of new requests per this many minutes.",
    )
    join_requests_per_hour: int = Field(
        default=20,
        alias="EMPIRIE_JOIN_REQUESTS_PER_HOUR",
        ge=1,
        le=10_000,
        description="Join requests: at most this many new undecided requests per network per hour; more are refused politely, nothing stored.",
    )

    # Feedback polls: sent this long after a meeting ends, one reminder, then closed.
    feedback_delay_minutes: int = Field(
        default=30,
        alias="EMPIRIE_FEEDBACK_DELAY_MINUTES",
        ge=0,
        le=7 * 24 * 60,
        description="Minutes after a meeting ends when its feedback poll is sent.",
    )
    feedback_reminder_hours: int = Field(
        default=48,
        alias="EMPIRIE_FEEDBACK_REMINDER_HOURS",
        ge=1,
        le=24 * 30,
        description="Hours after the poll when those who have not answered are reminded once.",
    )
    feedback_close_days: int = Field(
        default=7,
        alias="EMPIRIE_FEEDBACK_CLOSE_DAYS",
        ge=1,
        le=90,
        description="Days after which a feedback poll closes.",
    )

    @property
    def feedback_delay(self) -> timedelta:
        return timedelta(minutes=self.feedback_delay_minutes)

    # The attendance list (lista obecności) the office archives: the programme's name and the
    # grant's wording at the top of the PDF ("|" separates lines), and blank rows at the end
    # of the in-person section for people who come unannounced.
    programme_name: str = Field(
        default="EMPIRIE — Sieci Wymiany Doświadczeń",
        alias="EMPIRIE_PROGRAMME_NAME",
        description="The programme's name at the top of the attendance list (PDF).",
    )
    attendance_header: str = Field(
        default="Program „Rozwój Lokalny”, realizowany ze środków MF EOG na lata 2014–2021",
        alias="EMPIRIE_ATTENDANCE_HEADER",
        description="The grant's wording at the top of the attendance list; `|` separates lines.",
    )
    attendance_blank_rows: int = Field(
        default=5,
        alias="EMPIRIE_ATTENDANCE_BLANK_ROWS",
        ge=0,
        le=50,
        description="Blank rows at the end of the in-person section of the attendance list, for people who come unannounced.",
    )

    @property
    def attendance_header_lines(self) -> list[str]:
        return [line.strip() for line in self.attendance_header.split("|") if line.strip()]

    # Funding-call digests (handlers/funding*, jobs/funding.py, bot/sources).
    funding_digest_weekday: int = Field(
        default=0,
        alias="EMPIRIE_FUNDING_DIGEST_WEEKDAY",
        ge=0,
        le=6,
        description="The day of the weekly funding-call digest: 0 is Monday, 6 Sunday.",
    )  # 0 = Monday
    funding_digest_time: str = Field(
        default="09:00",
        alias="EMPIRIE_FUNDING_DIGEST_TIME",
        pattern=r"^\d{1,2}:\d{2}$",
        description="The time of the weekly digest (HH:MM).",
    )
    funding_soon_days: int = Field(
        default=14,
        alias="EMPIRIE_FUNDING_SOON_DAYS",
        ge=1,
        le=60,
        description="A call whose deadline is this many days away or fewer is listed as closing soon.",
    )
    funding_digest_cap: int = Field(
        default=15,
        alias="EMPIRIE_FUNDING_DIGEST_CAP",
        ge=3,
        le=100,
        description="At most this many calls in one digest.",
    )
    funding_meeting_days: int = Field(
        default=3,
        alias="EMPIRIE_FUNDING_MEETING_DAYS",
        ge=1,
        le=14,
        description="Calls matching a meeting are suggested to its coordinator this many days before it.",
    )
    funding_poll_hours: float = Field(
        default=6,
        alias="EMPIRIE_FUNDING_POLL_HOURS",
        ge=1,
        description="How often the funding sources are read.",
    )
    # off by default: the EU portal is on the internet; deployments turn it on
    funding_eu_enabled: bool = Field(
        default=False,
        alias="EMPIRIE_FUNDING_EU",
        description="Read calls from the EU Funding & Tenders portal (on the internet: off by default).",
    )
    funding_eu_url: str = Field(
        default="https://api.tech.ec.europa.eu/search-api/prod/rest/search",
        alias="EMPIRIE_FUNDING_EU_URL",
        description="The EU portal's search API address.",
    )
    funding_eu_text: str = Field(
        default="***",
        alias="EMPIRIE_FUNDING_EU_TEXT",
        description="The search text sent to the EU portal.",
    )
    funding_eu_max_pages: int = Field(
        default=10,
        alias="EMPIRIE_FUNDING_EU_MAX_PAGES",
        ge=1,
        description="At most this many result pages read from the EU portal per run.",
    )
    funding_http_timeout: float = Field(
        default=20,
        alias="EMPIRIE_FUNDING_HTTP_TIMEOUT",
        gt=0,
        description="Seconds to wait for a funding source's answer.",
    )
    funding_feed_max_bytes: int = Field(
        default=5_000_000,
        alias="EMPIRIE_FUNDING_FEED_MAX_BYTES",
        ge=10_000,
        description="A feed larger than this is not read.",
    )
    funding_feed_silent_days: int = Field(
        default=90,
        alias="EMPIRIE_FUNDING_FEED_SILENT_DAYS",
        ge=7,
        description="A feed with nothing new for this many days is reported to the coordinating team.",
    )
    # each fetch (a feed with its redirects and body, a portal page) ends by this deadline (s)
    funding_fetch_deadline: float = Field(
        default=20,
        alias="EMPIRIE_FUNDING_FETCH_DEADLINE",
        gt=0,
        le=600,
        description="Funding feeds and the EU portal: seconds one whole fetch may take (redirects and body included) before it is cut off.",
    )
    funding_feed_concurrency: int = Field(
        default=4,
        alias="EMPIRIE_FUNDING_FEED_CONCURRENCY",
        ge=1,
        le=32,
        description="Funding feeds fetched at the same time.",
    )
    # feeds are fetched from public addresses only (bot/sources/guard.py); an intranet feed's
    # host (`host` or `host:port`, comma-separated) or every private address may be allowed
    funding_feed_allow_hosts: str = Field(
        default="",
        alias="EMPIRIE_FUNDING_FEED_ALLOW_HOSTS",
        description="Feeds on an intranet: host names (`host` or `host:port`, comma-separated) allowed although they resolve to private addresses.",
    )
    funding_feed_allow_private: bool = Field(
        default=False,
        alias="EMPIRIE_FUNDING_FEED_ALLOW_PRIVATE",
        description="Allow feeds on any private address (cloud metadata addresses stay refused). Off: only public addresses.",
    )

    # Expert office hours (README: Office hours).
    office_open_days: int = Field(
        default=7,
        alias="EMPIRIE_OFFICE_OPEN_DAYS",
        ge=0,
        le=60,
        description="Booking of an expert's office hours opens this many days before the session.",
    )
    office_cutoff_minutes: int = Field(
        default=120,
        alias="EMPIRIE_OFFICE_CUTOFF_MINUTES",
        ge=0,
        description="Booking closes this many minutes before the session starts.",
    )
    office_offer_minutes: int = Field(
        default=30,
        alias="EMPIRIE_OFFICE_OFFER_MINUTES",
        ge=1,
        description="A slot freed by a cancellation is offered to the next city for this many minutes.",
    )
    office_horizon_days: int = Field(
        default=42,
        alias="EMPIRIE_OFFICE_HORIZON_DAYS",
        ge=1,
        le=366,
        description="Sessions can be planned at most this many days ahead.",
    )

    # The network's work plan (handlers/workplan): owners of an action are reminded this many
    # days before its due date, each time on a working morning before that day.
    plan_reminder_days: str = Field(
        default="7,1",
        alias="EMPIRIE_PLAN_REMINDER_DAYS",
        pattern=r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$",
        description="Work plan: the owners of an action are reminded this many days before its due date (comma-separated, e.g. `7,1`), on a working morning before that day.",
    )
    # Consultations on the network's results (handlers/consultations): one reminder this many
    # days before the deadline to those who have not given their opinion.
    consultation_reminder_days: int = Field(
        default=2,
        alias="EMPIRIE_CONSULTATION_REMINDER_DAYS",
        ge=1,
        le=30,
        description="Consultations: those who have not given their opinion are reminded once, this many days before the deadline (on a working morning).",
    )

    # The coordinator's report after each meeting (handlers/reports): a reminder when it is not
    # submitted this many days after the meeting ended.
    report_reminder_days: int = Field(
        default=7,
        alias="EMPIRIE_REPORT_REMINDER_DAYS",
        ge=1,
        le=60,
        description="Coordinator's report: the network's coordinators are reminded once when the report on a meeting is not submitted this many days after the meeting ended.",
    )

    # The programme's summary for ZMP's leadership (handlers/summary, jobs/summary.py): sent to
    # the coordinating team after each period; the same period is /podsumowanie's default.
    summary_period: str = Field(
        default="quarter",
        alias="EMPIRIE_SUMMARY_PERIOD",
        pattern=r"^(month|quarter)$",
        description="The programme's summary for ZMP's leadership: `quarter` or `month`. After each such period the coordinating team gets its summary (PDF and XLSX) privately, on the first working morning; `/podsumowanie` without dates covers the last full one.",
    )
    summary_missed_in_row: int = Field(
        default=2,
        alias="EMPIRIE_SUMMARY_MISSED_IN_ROW",
        ge=1,
        le=12,
        description="The summary's cities losing touch: a city invited to this many of its network's meetings in a row with nobody present.",
    )

    @property
    def plan_reminder_offsets(self) -> list[int]:
        return sorted({int(d) for d in self.plan_reminder_days.split(",") if d.strip()})

    # Working days (core/workdays.py): work that would fall on a weekend or a public holiday
    # of this country moves to the next working morning; empty country: weekends only.
    working_days: bool = Field(
        default=True,
        alias="EMPIRIE_WORKING_DAYS",
        description="Move work that would fall on a weekend or a public holiday to the next working morning.",
    )
    holidays_country: str = Field(
        default="PL",
        alias="EMPIRIE_HOLIDAYS_COUNTRY",
        max_length=8,
        description="Whose public holidays count (a country code); empty: weekends only.",
    )
    working_morning: str = Field(
        default="09:00",
        alias="EMPIRIE_WORKING_MORNING",
        pattern=r"^\d{1,2}:\d{2}$",
        description="When the working day starts (HH:MM): moved work goes out then.",
    )
    # the office's own days off besides public holidays: ISO dates, comma-separated
    days_off: str = Field(
        default="",
        alias="EMPIRIE_DAYS_OFF",
        description="The office's own days off besides public holidays: ISO dates, comma-separated (`2026-12-24,2026-12-31`).",
    )

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
            cache=self.files_dir,
        )

    outbox_lease_seconds: float = Field(
        default=60,
        alias="EMPIRIE_OUTBOX_LEASE_SECONDS",
        description="Seconds a process holds a claimed message before another may take it over (a crashed process's messages are sent by the others).",
    )
    outbox_unrecorded: int = Field(
        default=5,
        ge=1,
        alias="EMPIRIE_OUTBOX_UNRECORDED",
        description="Messages at most handed to a platform and not yet recorded as sent, per platform: if the process is killed, at most this many are sent again after the restart. Lower narrows that window and the sending rate (each send waits for its record; 5 keeps Telegram's 30/s while a send and its record take up to 160 ms).",
    )

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
    def desk_microsoft_enabled(self) -> bool:
        """The staff desk offers "Sign in with Microsoft": the Teams app registration (a
        tenant of its own, a client secret) and a public address to come back to."""
        return bool(
            self.teams_tenant_id
            and self.teams_client_id
            and self.teams_client_secret
            and self.public_url
        )

    @property
    def active_platforms(self) -> list[str]:
        """Platforms the bot runs on, in order of preference for private messages."""
        platforms = ["telegram"] if self.telegram_enabled else []
        if self.teams_enabled:
            platforms.append("teams")
        return platforms or ["console"]
