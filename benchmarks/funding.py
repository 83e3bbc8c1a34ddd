"""Funding-call matching and digests at scale.

Classifies N synthetic calls (Polish and English titles with inflected words, default: 10,000)
against the 8 network profiles, against a same-run baseline of plain substring search over
folded text (fast but blind to inflection: it is also reported how many true matches it
misses); then stores the calls in a SQLite file and builds the 8 networks' digests.

    .venv/bin/python benchmarks/funding.py [N]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.i18n import Translator
from handlers.funding_digest import compose
from handlers.funding_match import fold, match
from handlers.funding_parse import CallRecord
from handlers.funding_store import DEFAULT_PROFILES, ensure_profiles, ingest, matcher_profiles
from models import directory, funding, seed
from models.db import Database

WORDS = ["cyfryzacji", "usług cyfrowych", "polityce senioralnej", "seniorów", "ochrony klimatu",
         "energii odnawialnej", "instalacji OZE", "przedsiębiorczości", "turystyce",
         "zasobami ludzkimi", "konsultacji społecznych", "budżetu obywatelskiego",
         "przywództwa", "rewitalizacji", "dostępności", "digital skills", "climate adaptation",
         "renewable energy", "civil society", "tourism", "SME support", "leadership",
         "infrastruktury drogowej", "kultury", "sportu", "edukacji", "zdrowia", "transportu"]
FRAMES = ["Wsparcie {0} w gminach", "Program rozwoju {0} i {1}", "Nabór: {0}",
          "Dotacje dla miast na rzecz {0}", "{0} — call for proposals", "Grants for {0} and {1}"]
PROGRAMMES = ["DIGITAL", "LIFE", "CERV", "ESF", "SMP", "HORIZON", "CEF", "NFOŚiGW", "BGK", None]


def synthetic(n: int, now: datetime) -> list[CallRecord]:
    rng = random.Random(14)
    calls = []
    for i in range(n):
        title = rng.choice(FRAMES).format(rng.choice(WORDS), rng.choice(WORDS))
        programme = rng.choice(PROGRAMMES)
        calls.append(CallRecord(
            source="eu", title=f"{title} {i}", identifier=f"{programme or 'X'}-{i:05d}",
            link=f"https://example.eu/topic/{i}", programme=programme,
            deadlines=(now + timedelta(days=rng.randint(1, 200)),),
            summary=" ".join(rng.choice(WORDS) for _ in range(20))))
    return calls


def main(n: int) -> dict[str, float]:
    now = datetime.now(UTC)
    records = synthetic(n, now)
    texts = [(" ".join([r.title, r.programme or "", r.summary]), r.programme) for r in records]
    profiles = matcher_profiles([
        funding.FundingProfile(network_id=i, keywords=list(kw), programmes=list(pr),
                               updated_at=now)
        for i, (kw, pr) in enumerate(DEFAULT_PROFILES.values(), start=1)])

    start = time.perf_counter()
    ours = [match(profiles, text, programme) for text, programme in texts]
    classify_s = time.perf_counter() - start

    folded_profiles = [(p.network_id, [fold(k.text) for k in p.keywords], p.programmes)
                       for p in profiles]
    start = time.perf_counter()
    naive = []
    for text, programme in texts:
        low = fold(text)
        naive.append({nid for nid, kws, progs in folded_profiles
                      if (programme or "").upper() in progs or any(k in low for k in kws)})
    baseline_s = time.perf_counter() - start
    ours_pairs = sum(len(m) for m in ours)
    naive_pairs = sum(len(m) for m in naive)
    missed = sum(len({m.network_id for m in o} - b) for o, b in zip(ours, naive, strict=True))

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.create_all()
        settings = Settings(EMPIRIE_DATABASE_URL=f"sqlite:///{tmp}/bench.db")
        with db.session() as s:
            seed.ensure_networks(s)
            ensure_profiles(s, now)
        start = time.perf_counter()
        with db.session() as s:
            ingest(s, records, now)
        ingest_s = time.perf_counter() - start
        t = Translator("pl", settings.tz)
        start = time.perf_counter()
        sizes = []
        with db.session() as s:
            for network in directory.networks(s):
                sizes.append(len(compose(s, network.id or 0, now, settings, t).all_items))
        digests_s = time.perf_counter() - start
        db.dispose()

    figures = {"calls": n, "profiles": len(profiles),
               "classify_s": round(classify_s, 3), "baseline_substring_s": round(baseline_s, 3),
               "matches": ours_pairs, "baseline_matches": naive_pairs,
               "baseline_missed_matches": missed, "ingest_s": round(ingest_s, 2),
               "eight_digests_s": round(digests_s, 2), "digest_sizes": sizes}
    print(f"classify {n} calls × {len(profiles)} profiles: {classify_s:.3f} s "
          f"(target ≤ 1 s); substring baseline {baseline_s:.3f} s")
    print(f"matches: ours {ours_pairs}, baseline {naive_pairs} "
          f"(baseline misses {missed} inflected matches)")
    print(f"store {n} calls with dedup: {ingest_s:.2f} s; build 8 digests: {digests_s:.2f} s "
          f"(items per network: {sizes})")
    out = Path(__file__).resolve().parent / "results" / "funding.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
