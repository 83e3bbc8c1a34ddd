"""Parsing the EU portal faithfully (the real trimmed page and pages built in its shape),
RSS/Atom and CSV into neutral call records."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from handlers.funding.parse import (
    canonical_link,
    parse_feed,
    parse_sedia,
    read_csv,
    title_key,
)
from models.db import Database
from models.funding import CallStatus
from tests.funding_data import empty_row, real_page, result

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_real_page_keeps_identifier_title_programme_status_dates_and_link() -> None:
    records = {r.identifier: r for r in parse_sedia(real_page())}
    assert set(records) == {
        "HORIZON-CL4-2027-04-DIGITAL-EMERGING-10",
        "HORIZON-CL3-2026-02-CS-ECCC-01",
    }
    foresight = records["HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"]
    assert foresight.title == (
        "Horizon scanning and foresight in future enabling digital technologies (CSA)"
    )
    assert foresight.programme == "HORIZON"
    assert foresight.status == CallStatus.FORTHCOMING
    assert foresight.opens_at == datetime(2026, 11, 17, tzinfo=UTC)
    # the portal gives the day; calls close at 17:00 Brussels time (16:00 UTC in winter)
    assert foresight.deadlines == (datetime(2027, 3, 18, 16, 0, tzinfo=UTC),)
    assert foresight.link is not None and foresight.link.endswith(
        "/topic-details/HORIZON-CL4-2027-04-DIGITAL-EMERGING-10"
    )
    assert "Computer sciences, information science and bioinformatics" in foresight.tags
    assert "foresight" in foresight.summary.lower()
    # its budgetOverview only lists a sibling topic (…-04): no budget is made up
    assert foresight.budget is None
    security = records["HORIZON-CL3-2026-02-CS-ECCC-01"]
    assert security.status == CallStatus.OPEN
    # marked open, but its only deadline (15.09.2026) has passed: not open
    assert security.effective_status(NOW) == CallStatus.CLOSED
    assert security.next_deadline(NOW) is None


def test_two_stage_call_shows_the_next_deadline_and_keeps_both() -> None:
    page = {
        "results": [
            result(
                "LIFE-2027-CET-01",
                "Clean energy transition",
                deadlines=("2026-12-01", "2027-09-15"),
                deadline_model="two-stage",
            )
        ]
    }
    [record] = parse_sedia(page)
    assert [d.date().isoformat() for d in record.deadlines] == ["2026-12-01", "2027-09-15"]
    assert record.next_deadline(NOW) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    after_first = datetime(2026, 12, 2, tzinfo=UTC)
    assert record.next_deadline(after_first) == datetime(2027, 9, 15, 15, 0, tzinfo=UTC)
    assert record.effective_status(after_first) == CallStatus.OPEN


def test_duplicate_and_empty_rows_become_one_call_with_all_deadlines() -> None:
    page = {
        "results": [
            result("CERV-2027-CITIZENS-01", "Town twinning", deadlines=("2027-02-10",)),
            empty_row("CERV-2027-CITIZENS-01"),
            result(
                "CERV-2027-CITIZENS-01",
                "Town twinning",
                deadlines=("2027-09-10",),
                budget=1_500_000,
            ),
            {"metadata": {}},  # a row with nothing at all
            "not even a dict",
        ]
    }
    [record] = parse_sedia(page)  # type: ignore[arg-type]
    assert record.identifier == "CERV-2027-CITIZENS-01"
    assert record.title == "Town twinning"
    assert len(record.deadlines) == 2
    assert record.budget == 1_500_000  # the topic's own line, not its sibling's 999


def test_keywords_as_one_json_encoded_string_are_unpacked() -> None:
    page = {
        "results": [
            result(
                "DIGITAL-2027-AI-05",
                "AI for public services",
                keywords=("artificial intelligence", "e-government"),
                keywords_as_one_json=True,
            )
        ]
    }
    [record] = parse_sedia(page)
    assert "artificial intelligence" in record.tags and "e-government" in record.tags
    assert not any(t.startswith("[") for t in record.tags)


def test_status_codes_and_closed_calls() -> None:
    page = {
        "results": [
            result("DIGITAL-1", "A", status="forthcoming", deadlines=("2027-05-01",)),
            result("DIGITAL-2", "B", status="open", deadlines=("2027-05-01",)),
            result("DIGITAL-3", "C", status="closed", deadlines=("2027-05-01",)),
            result("DIGITAL-4", "D", status="open", deadlines=("2026-01-10", "2026-06-10")),
        ]
    }
    status = {r.identifier: r.effective_status(NOW) for r in parse_sedia(page)}
    assert status == {
        "DIGITAL-1": CallStatus.FORTHCOMING,
        "DIGITAL-2": CallStatus.OPEN,
        "DIGITAL-3": CallStatus.CLOSED,
        "DIGITAL-4": CallStatus.CLOSED,
    }


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>NFOŚiGW — nabory</title>
<item><title>Nabór: Ciepłe Mieszkanie 2027</title><link>https://www.nfosigw.gov.pl/a?utm_source=x</link>
<description>Termin składania wniosków: do 15.03.2027. Dla gmin.</description>
<pubDate>Mon, 16 Nov 2026 10:00:00 +0100</pubDate><category>OZE</category></item>
<item><title></title><link>https://x.example/empty</link></item>
</channel></rss>""".encode()

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>BGK</title>
<entry><title>Program Rozwoju Lokalnego</title><link href="https://www.bgk.pl/p/"/>
<id>urn:1</id><updated>2026-11-20T10:00:00Z</updated><summary>Wsparcie inwestycji</summary>
</entry></feed>"""


def test_rss_and_atom_entries_become_records_with_deadline_from_text() -> None:
    rss = parse_feed(RSS, "feed:1")
    assert rss.broken is None and rss.title == "NFOŚiGW — nabory"
    [item] = rss.records  # the entry without a title is skipped
    assert item.title == "Nabór: Ciepłe Mieszkanie 2027"
    assert item.deadlines == (datetime(2027, 3, 15, 22, 59, tzinfo=UTC),)  # 23:59 in Warsaw
    assert item.tags == ("OZE",) and item.programme == "NFOŚiGW — nabory"
    assert rss.newest == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    atom = parse_feed(ATOM, "feed:2", funder="BGK")
    assert [r.title for r in atom.records] == ["Program Rozwoju Lokalnego"]
    assert atom.records[0].programme == "BGK" and atom.records[0].deadlines == ()


def test_broken_feed_is_reported_not_raised() -> None:
    assert parse_feed(b"<html><body>Not found</body></html>", "feed:1").broken
    assert parse_feed(b"\x00\xff garbage", "feed:1").broken
    assert parse_feed(b"", "feed:1").broken


def test_identity_keys_for_deduplication() -> None:
    assert canonical_link("https://www.nfosigw.gov.pl/a/?utm_source=x#top") == canonical_link(
        "http://nfosigw.gov.pl/a"
    )
    assert canonical_link("not a link") is None
    assert title_key("Nabór: Ciepłe  Mieszkanie 2027!") == "nabor cieple mieszkanie 2027"


def test_csv_with_semicolons_bom_and_polish_headers() -> None:
    content = (
        "\ufeffTytuł;Grantodawca;Link;Termin;Kwota;Tagi\n"
        "Cyfrowa gmina;CPPC;https://cppc.gov.pl/x;30.04.2027;500 000;cyfryzacja\n"
        ";;;;;\n"
    ).encode()
    [row] = read_csv(content)
    assert row.line == 2
    assert row.values["tytul"] == "Cyfrowa gmina" and row.values["kwota"] == "500 000"
    cp1250 = "tytul,termin\nŚrodowisko,1.05.2027\n".encode("cp1250")
    assert read_csv(cp1250)[0].values["tytul"] == "Środowisko"


def test_amounts_as_polish_calls_write_them() -> None:
    from handlers.funding.args import parse_amount

    assert parse_amount("2 mln zł") == 2_000_000
    assert parse_amount("500 tys. zł") == 500_000
    assert parse_amount("1 500 000,00 zł") == 1_500_000
    assert parse_amount("1\u00a0500\u00a0000,00 zł") == 1_500_000
    assert parse_amount("1.500.000,00 PLN") == 1_500_000
    assert parse_amount("1,5 mld EUR") == 1_500_000_000
    assert parse_amount("1,5 EUR") == 1.5
    assert parse_amount("zł") is None


def test_a_date_only_value_keeps_the_time_entered_by_hand_and_is_no_change(
    db: Database,
) -> None:
    from handlers.funding import store
    from handlers.funding.parse import CallRecord
    from models.funding import FundingCall, FundingChange

    noon = datetime(2027, 6, 30, 10, 0, tzinfo=UTC)  # 12:00 in Warsaw, typed by hand
    day_only = datetime(2027, 6, 30, 21, 59, tzinfo=UTC)  # "30.06.2027" in a sheet: 23:59
    link = "https://example.org/cyfrowa-gmina"
    with db.session() as s:
        store.ingest(s, [CallRecord("manual", "Cyfrowa gmina", link, deadlines=(noon,))], NOW)
    with db.session() as s:
        result = store.ingest(
            s, [CallRecord("csv", "Cyfrowa gmina", link, deadlines=(day_only,))], NOW
        )
        assert result.changed == 0
        [call] = s.exec(select(FundingCall)).all()
        assert call.deadline_list == [noon]
        assert s.exec(select(FundingChange)).all() == []
    later = datetime(2027, 7, 15, 21, 59, tzinfo=UTC)  # another day: a real change
    with db.session() as s:
        result = store.ingest(
            s, [CallRecord("csv", "Cyfrowa gmina", link, deadlines=(later,))], NOW
        )
        assert result.changed == 1
