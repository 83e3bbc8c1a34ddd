"""The image's HEALTHCHECK: `python -m bot.probe` asks this container's own HTTP server for
/readyz and exits 0 when it is ready, 1 otherwise. Standard library only: it runs every 30 s."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

ANY = ("", "0.0.0.0", "::")  # listening everywhere: ask on the loopback


def url(path: str = "/readyz") -> str:
    host = os.environ.get("EMPIRIE_HTTP_HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ANY else host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{os.environ.get('EMPIRIE_HTTP_PORT', '8080')}{path}"


def main() -> int:
    try:
        with urllib.request.urlopen(url(), timeout=5) as answer:
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"not ready: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
