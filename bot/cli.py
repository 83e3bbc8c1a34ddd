"""`empirie-bot run | migrate | seed`."""

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
    args = parser.parse_args(argv)

    settings = Settings()
    if args.command == "run" and not settings.telegram_enabled:
        # The console chat owns the terminal: its logs go to a file instead.
        logs.setup(settings.log_level, open(settings.console_log_file, "a", encoding="utf-8"))  # noqa: SIM115
    else:
        logs.setup(settings.log_level)
    if args.command == "migrate":
        upgrade(settings.database_url)
        log.info("migrate.done")
        return 0
    if args.command == "seed":
        from bot.app import prepare_database

        prepare_database(settings.model_copy(update={"seed_demo": True}), SystemClock())
        return 0
    from bot.app import App

    if args.command == "worker" and not settings.telegram_enabled:
        parser.error("the worker delivers to a platform: set TELEGRAM_BOT_TOKEN")
    app = App(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(app.run_worker() if args.command == "worker" else app.run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
