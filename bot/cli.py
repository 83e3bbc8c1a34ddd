"""`empirie-bot run | serve | worker | migrate | seed | roster import|export | invite | people |
teams login|status|bind | backup | restore | check`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot import logs
from bot.migrate import upgrade
from core.clock import Clock, SystemClock
from core.config import Settings
from core.i18n import Translator

log = logging.getLogger("empirie.cli")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("empirie-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="empirie-bot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (console chat when no platform token is set)")
    sub.add_parser(
        "serve", help="run the bot on its platforms, never the console chat (the image's command)"
    )
    sub.add_parser("worker", help="deliver the outbox and run scheduled work, no chat intake")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    sub.add_parser("seed", help="load the 8 networks and the demo cast into an empty database")
    roster = sub.add_parser("roster", help="import or export the roster file (XLSX or CSV)")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser("import", help="make the roster match the file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    exp = roster_sub.add_parser("export", help="write the current roster (.xlsx or .csv)")
    exp.add_argument("file", type=Path)
    invite = sub.add_parser("invite", help="print an invitation code and link for a person")
    invite.add_argument("who", help="the person's e-mail or id (see `empirie-bot people`)")
    people = sub.add_parser("people", help="who is in the roster and who has linked an account")
    people.add_argument("network", nargs="?", help="a network code (default: all)")
    teams = sub.add_parser("teams", help="Microsoft Teams: sign in, status, bind a channel/chat")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True)
    teams_sub.add_parser("login", help="sign in once as the service account (device code)")
    teams_sub.add_parser("status", help="who is signed in, bound chats, subscriptions")
    bind = teams_sub.add_parser("bind", help="bind a Teams channel or group chat to a network")
    bind.add_argument("network", help="network code, e.g. cyfrowe")
    bind.add_argument("--team", help="team id (with --channel)")
    bind.add_argument("--channel", help="channel id, e.g. 19:…@thread.tacv2")
    bind.add_argument("--chat", help="group chat id, e.g. 19:…@thread.v2")
    backup = sub.add_parser("backup", help="copy the database and the files into one archive")
    backup.add_argument(
        "target", help="a directory (a dated file in it; a new one: end it with /) or a file"
    )
    restore = sub.add_parser("restore", help="load a backup into an empty database")
    restore.add_argument("source", type=Path, help="the backup archive (.zip)")
    restore.add_argument(
        "--replace", action="store_true", help="overwrite a database that is not empty"
    )
    sub.add_parser("check", help="is this installation ready: settings, database, platforms, URL")
    return parser


def _settings() -> Settings | None:
    """The settings, or None after saying which are wrong (never a traceback)."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            names = ".".join(str(part) for part in problem["loc"])
            print(f"setting {names}: {problem['msg']}", file=sys.stderr)
        return None


def main(
    argv: list[str] | None = None, *, clock: Clock | None = None, out: TextIO | None = None
) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    out = out or sys.stdout
    clock = clock or SystemClock()

    loaded = _settings()
    if loaded is None:
        return 2
    settings = loaded
    if args.command == "run" and not settings.platforms_enabled:
        # The console chat owns the terminal: its logs go to a file instead.
        logs.setup(
            settings.log_level,
            open(settings.console_log_file, "a", encoding="utf-8"),  # noqa: SIM115
            settings.log_format,
        )
    else:
        logs.setup(settings.log_level, fmt=settings.log_format)
    if args.command == "migrate":
        upgrade(settings.database_url)
        return 0
    if args.command in ("backup", "restore", "check"):
        return _operations(args, settings, clock, out)
    if args.command == "teams":
        from bot import teams_cli

        return teams_cli.run(args, settings, parser)
    from bot.app import prepare_database

    if args.command == "seed":
        prepare_database(settings, clock, demo=True)
        return 0
    if args.command in ("roster", "invite", "people"):
        # Office tools never load the invented demo people (unless asked explicitly).
        db = prepare_database(settings, clock, demo=settings.seed_demo is True)
        try:
            return _office(args, settings, clock, db, out)
        finally:
            db.dispose()
    from bot.app import App

    if args.command in ("worker", "serve") and not settings.platforms_enabled:
        parser.error(
            f"`{args.command}` needs a chat platform: set TELEGRAM_BOT_TOKEN or the "
            "EMPIRIE_TEAMS_* settings (`empirie-bot check` lists what is missing)"
        )
    app = App(settings, clock)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run_worker() if args.command == "worker" else app.run())
    return 0


def _operations(args: argparse.Namespace, settings: Settings, clock: Clock, out: TextIO) -> int:
    from bot import check
    from bot.backup import BackupError, backup, restore

    if args.command == "check":
        return check.run(settings, out)
    try:
        if args.command == "backup":
            path, snapshot, files = backup(settings, args.target, clock.now())
            rows = sum(snapshot.counts().values())
            print(
                f"Wrote {path}: {rows} rows in {len(snapshot.tables)} tables, {files} files.",
                file=out,
            )
            return 0
        snapshot = restore(settings, args.source, replace=args.replace)
    except (BackupError, OSError, zipfile.BadZipFile) as error:
        print(f"{args.command} failed: {error}", file=sys.stderr)
        return 1
    rows = sum(snapshot.counts().values())
    print(
        f"Restored {rows} rows from {args.source} (schema {snapshot.revision}, then migrated).",
        file=out,
    )
    return 0


def _office(
    args: argparse.Namespace, settings: Settings, clock: Clock, db: object, out: TextIO
) -> int:
    from handlers.roster import office as roster
    from models.db import Database

    assert isinstance(db, Database)
    t = Translator(settings.default_language, settings.tz)
    if args.command == "roster" and args.roster_command == "import":
        result = roster.import_file(db, clock, settings, args.file, t, dry_run=args.dry_run)
        print("\n".join(result.lines), file=out)
        return 0 if result.ok else 1
    if args.command == "roster":
        count = roster.export_file(db, args.file)
        print(
            t.tn(
                "Wrote {n} row to {file}.", "Wrote {n} rows to {file}.", count, file=str(args.file)
            ),
            file=out,
        )
        return 0
    if args.command == "people":
        try:
            print("\n".join(roster.people_lines(db, t, args.network)), file=out)
        except roster.DomainError as error:
            print(t(error.msgid, **error.params), file=out)
            return 1
        return 0
    return _invite(args.who, settings, clock, db, t, out)


def _invite(
    who: str, settings: Settings, clock: Clock, db: object, t: Translator, out: TextIO
) -> int:
    from handlers.roster import office as roster
    from models.db import Database

    assert isinstance(db, Database)
    try:
        person, code = roster.issue_invitation(db, clock, who, settings.invitation_days)
    except roster.DomainError as error:
        print(t(error.msgid, **error.params), file=out)
        return 1
    expires = clock.now() + timedelta(days=settings.invitation_days)
    username = _telegram_username(settings)
    links = {"telegram": f"https://t.me/{username}?start={{code}}"} if username else {}
    lines = [
        roster.invitation_text(t, person.display_name, code, expires, links, from_the_bot=False)
    ]
    if settings.telegram_enabled and not username:
        lines.append(t("(Telegram did not answer, so there is no link: send the code.)"))
    print("\n".join(lines), file=out)
    return 0


def _telegram_username(settings: Settings) -> str | None:
    """The bot's @username from Telegram (getMe), for the deep link; None when unknown."""
    if not settings.telegram_enabled:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    base = settings.telegram_api_base_url.rstrip("/")
    bot = (
        Bot(settings.telegram_bot_token, base_url=f"{base}/bot")
        if base
        else Bot(settings.telegram_bot_token)
    )

    async def ask() -> str | None:
        async with bot:
            return bot.username

    try:
        return asyncio.run(ask())
    except (TelegramError, OSError) as error:
        log.warning("telegram.getme_failed error=%s", type(error).__name__)
        return None


if __name__ == "__main__":
    raise SystemExit(main())
