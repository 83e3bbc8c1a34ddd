"""Answer pages: signed, phone-friendly pages for people who cannot (or prefer not to) press
buttons in chat. They show, and they turn a form into the typed command the chat would run;
every rule stays in the handlers. See registry.py for how a feature adds its page."""

from __future__ import annotations

import importlib

from bot.http import HttpServer
from bot.router import Router
from handlers import features


def load_all() -> None:
    """Each feature that declares `pages=True` has bot/pages/<feature>.py, which registers its
    Page(s) in registry.PAGES, or a package bot/pages/<feature>/ with an `install(http, router)`
    of its own routes (the staff desk)."""
    for feature in features():
        if feature.pages:
            importlib.import_module(f"bot.pages.{feature.name}")


def install(http: HttpServer, router: Router) -> None:
    """Serve the pages on the bot's HTTP server."""
    from bot.pages.server import PageServer

    load_all()
    PageServer(router).install(http)
    for feature in features():  # a feature with routes of its own (the staff desk, /desk)
        if not feature.pages:
            continue
        extra = getattr(importlib.import_module(f"bot.pages.{feature.name}"), "install", None)
        if extra is not None:
            extra(http, router)
