"""A bot process hammering one office-hours session (run by test_office_hours_load).

`python -m tests.office_load <db url> <session> <iso now> <person ids…>`: every person
tries to book at once from a pool of threads; prints one JSON list of the replies: their
text and, for each calendar file, its name and the event's start (ISO)."""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from icalendar import Calendar

from bot.router import Router
from core.clock import FrozenClock
from core.config import Settings
from core.messages import ChatRef, Incoming, Sender
from models.db import Database


def main() -> None:
    url, session_id, now, *people = sys.argv[1:]
    db = Database(url)
    router = Router(
        db, FrozenClock(datetime.fromisoformat(now)), Settings(EMPIRIE_DATABASE_URL=url)
    )

    def attempt(index: int, person: str) -> dict[str, object]:
        slot = "-" if index % 2 else str(index % 4 + 1)
        incoming = Incoming(
            Sender("console", person),
            ChatRef("console", person, private=True),
            text=f"/dyzur_rezerwuj {session_id} {slot} pytanie {person}",
        )
        replies = asyncio.run(router.handle(incoming))
        files = [
            (f.name, event.decoded("dtstart").isoformat())
            for r in replies
            for f in r.files
            for event in Calendar.from_ical(f.content).walk("VEVENT")
        ]
        return {"text": "\n".join(r.text for r in replies), "files": files}

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(attempt, range(len(people)), people))
    db.dispose()
    print(json.dumps(replies))


if __name__ == "__main__":
    main()
