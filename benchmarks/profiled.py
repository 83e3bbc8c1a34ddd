"""`python benchmarks/profiled.py OUT ARGS…`: `empirie-bot ARGS…` with every thread profiled
(cProfile per thread: updates run on worker threads), the merged statistics written to OUT when
the process ends (SIGTERM included: the bot stops gracefully)."""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import pstats
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROFILES: list[cProfile.Profile] = []


def _start(*_: Any) -> None:
    profile = cProfile.Profile()
    PROFILES.append(profile)
    profile.enable()


def _dump(out: str) -> None:
    for profile in PROFILES:
        profile.disable()
    stats = None
    for profile in PROFILES:
        with contextlib.suppress(TypeError):  # a thread that never ran anything
            if stats is None:
                stats = pstats.Stats(profile)
            else:
                stats.add(profile)
    if stats is not None:
        stats.dump_stats(out)


if __name__ == "__main__":
    out = sys.argv[1]
    sys.argv = ["empirie-bot", *sys.argv[2:]]
    threading.setprofile(_start)
    atexit.register(_dump, out)
    _start()
    from bot.cli import main

    raise SystemExit(main())
