"""EU-portal search results built in the real page's shape (see the trimmed real page in
../shared/fixtures/eu_portal/): every metadata value a list, JSON strings inside lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REAL_PAGE = ROOT.parent / "shared" / "fixtures" / "eu_portal" / "search_page_trimmed.json"
STATUS = {"forthcoming": "31094501", "open": "31094502", "closed": "31094503"}


def real_page() -> dict[str, Any]:
    return json.loads(REAL_PAGE.read_text(encoding="utf-8"))


def result(
    identifier: str,
    title: str,
    *,
    status: str = "open",
    deadlines: tuple[str, ...] = ("2027-03-18",),
    start: str = "2026-11-17",
    keywords: tuple[str, ...] = (),
    keywords_as_one_json: bool = False,
    budget: int | None = None,
    description: str = "",
    deadline_model: str = "single-stage",
) -> dict[str, Any]:
    code = STATUS[status]
    actions = [
        {
            "types": [{"typeOfAction": "DIGITAL-SME DIGITAL Support Action"}],
            "status": {"id": int(code), "abbreviation": status.title()},
            "plannedOpeningDate": start,
            "submissionProcedure": {"abbreviation": deadline_model},
            "deadlineDates": list(deadlines),
        }
    ]
    metadata: dict[str, Any] = {
        "identifier": [identifier],
        "title": [title],
        "status": [code],
        "deadlineDate": [f"{d}T00:00:00.000+0000" for d in deadlines],
        "startDate": [f"{start}T00:00:00.000+0000"],
        "deadlineModel": [deadline_model],
        "keywords": [json.dumps(list(keywords))] if keywords_as_one_json else list(keywords),
        "actions": [json.dumps(actions)],
        "type": ["1"],
        "url": [
            f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/"
            f"opportunities/topic-details/{identifier}"
        ],
        "descriptionByte": [f"<p>{description}</p>"] if description else [],
        "callTitle": [identifier.split("-")[0]],
    }
    if budget is not None:
        overview = {
            "budgetYearsColumns": ["2027"],
            "budgetTopicActionMap": {
                "1": [
                    {
                        "action": f"{identifier} - DIGITAL-SME",
                        "budgetYearMap": {"2027": str(budget)},
                    },
                    {"action": "SOMETHING-ELSE-01 - other topic", "budgetYearMap": {"2027": "999"}},
                ]
            },
        }
        metadata["budgetOverview"] = [json.dumps(overview)]
    return {
        "reference": f"{identifier}TOPICSen",
        "url": metadata["url"][0],
        "summary": title,
        "metadata": metadata,
    }


def empty_row(identifier: str) -> dict[str, Any]:
    """The portal sometimes repeats an identifier in a row that carries almost nothing."""
    return {
        "reference": f"{identifier}x",
        "metadata": {"identifier": [identifier], "title": [], "deadlineDate": []},
    }
