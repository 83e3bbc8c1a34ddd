"""`empirie-bot teams login | status | bind`: the administrator's side of the Teams setup.

Binding needs no Graph call: it writes the binding and a pending subscription row, and the
running bot subscribes it at its next upkeep (EMPIRIE_TEAMS_UPKEEP_SECONDS)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.migrate import upgrade
from core.clock import SystemClock
from core.config import Settings
from models import directory, seed
from models import teams as store
from models.db import Database


def run(args: argparse.Namespace, settings: Settings, parser: argparse.ArgumentParser) -> int:
    if args.teams_command == "login":
        return _login(settings, parser)
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    if args.teams_command == "bind":
        return _bind(args, db, parser)
    return asyncio.run(_status(settings, db))


def _login(settings: Settings, parser: argparse.ArgumentParser) -> int:
    if not settings.teams_client_id:
        parser.error("set EMPIRIE_TEAMS_CLIENT_ID (and EMPIRIE_TEAMS_TENANT_ID) first")
    from bot.transports.teams import graph

    # The administrator reads the code off this terminal: no JSON log lines around it (the
    # outcome is printed below, failures included).
    graph.quiet_sdk_logs(logging.ERROR)
    try:
        record = graph.login(settings, lambda text: print(f"\n{text}\n", flush=True))
    except graph.LoginLost as error:
        print(f"Sign-in failed: {error.message}", file=sys.stderr)
        return 1
    print(
        f"Signed in as {record.username}. Saved {settings.teams_auth_record_file}; the "
        f"token cache is “{settings.teams_token_cache_name}.cae” in ~/.IdentityService.",
        flush=True,
    )
    return 0


def _bind(args: argparse.Namespace, db: Database, parser: argparse.ArgumentParser) -> int:
    if args.chat and not (args.team or args.channel):
        key, kind = args.chat, "group"
    elif args.team and args.channel and not args.chat:
        key, kind = f"{args.team}/{args.channel}", "channel"
    else:
        parser.error("give --team and --channel, or --chat")
    from bot.transports.teams.subscriptions import resource_of

    now = SystemClock().now()
    with db.session() as s:
        seed.ensure_networks(s)
        network = directory.network_by_code(s, args.network)
        if network is None:
            parser.error(f"unknown network {args.network!r}")
        directory.bind_chat(s, network, "teams", key, None, None, now)
        store.ensure_subscription(s, key, resource_of(key), kind, now)
    print(f"Bound {kind} {key} to {network.code}; the running bot subscribes to it within minutes.")
    return 0


async def _status(settings: Settings, db: Database) -> int:
    from bot.transports.teams import graph

    record = graph.load_record(settings) if settings.teams_client_id else None
    print(f"Signed in as: {record.username if record else '(nobody: run empirie-bot teams login)'}")
    works = True
    if record is not None:
        graph.quiet_sdk_logs(logging.ERROR)  # the verdict is printed, not logged
        async with graph.credential(settings) as credential:
            try:
                me = await graph.build_client(settings, credential).me.get()
                print(f"Sign-in works: {me.display_name if me else '?'}")
            except graph.LoginLost:
                works = False
                print("Sign-in EXPIRED or revoked: run empirie-bot teams login", file=sys.stderr)
            except Exception as error:
                works = False
                print(
                    f"Graph unreachable: {type(error).__name__} (status "
                    f"{graph.status_code(error) or '-'})",
                    file=sys.stderr,
                )
    with db.session() as s:
        rows = {r.chat_id: r for r in store.subscriptions(s)}
        networks = {n.id: n.code for n in directory.networks(s)}
        for binding in store.bound_chats(s):
            row = rows.get(binding.chat_id)
            state = (
                f"{row.status}, expires {row.expires_at:%Y-%m-%d %H:%M} UTC"
                if row and row.expires_at
                else (row.status if row else "no subscription")
            )
            print(f"{networks.get(binding.network_id)}: {binding.chat_id} — {state}")
    return 0 if works else 1
