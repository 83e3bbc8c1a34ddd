"""`empirie-bot run | worker | migrate | seed | teams login|status|bind`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot import logs
from bot.migrate import upgrade
from core.clock import SystemClock
from core.config import Settings

log = logging.getLogger("empirie.cli")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="empirie-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (console chat when no platform token is set)")
    sub.add_parser("worker", help="deliver the outbox and run scheduled work, no chat intake")
    sub.add_parser("migrate", help="upgrade the database schema to the newest version")
    sub.add_parser("seed", help="load the 8 networks and the demo cast into an empty database")
    teams = sub.add_parser("teams", help="Microsoft Teams: sign in, status, bind a channel/chat")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True)
    teams_sub.add_parser("login", help="sign in once as the service account (device code)")
    teams_sub.add_parser("status", help="who is signed in, bound chats, subscriptions")
    bind = teams_sub.add_parser("bind", help="bind a Teams channel or group chat to a network")
    bind.add_argument("network", help="network code, e.g. cyfrowe")
    bind.add_argument("--team", help="team id (with --channel)")
    bind.add_argument("--channel", help="channel id, e.g. 19:…@thread.tacv2")
    bind.add_argument("--chat", help="group chat id, e.g. 19:…@thread.v2")
    args = parser.parse_args(argv)

    settings = Settings()
    if args.command == "run" and not settings.platforms_enabled:
        # The console chat owns the terminal: its logs go to a file instead.
        logs.setup(settings.log_level, open(settings.console_log_file, "a", encoding="utf-8"))  # noqa: SIM115
    else:
        logs.setup(settings.log_level)
    if args.command == "migrate":
        upgrade(settings.database_url)
        log.info("migrate.done")
        return 0
    if args.command == "teams":
        from bot import teams_cli

        return teams_cli.run(args, settings, parser)
    if args.command == "seed":
        from bot.app import prepare_database

        prepare_database(settings.model_copy(update={"seed_demo": True}), SystemClock())
        return 0
    from bot.app import App

    if args.command == "worker" and not settings.platforms_enabled:
        parser.error("the worker delivers to a platform: set TELEGRAM_BOT_TOKEN or the "
                     "EMPIRIE_TEAMS_* settings")
    app = App(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run_worker() if args.command == "worker" else app.run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
