"""Every feature is found through its manifest, and everything it brings is loaded: its handler
modules, its jobs and its pages. No list of features is kept by hand."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from handlers import KIT, features, load_all

ROOT = Path(__file__).resolve().parent.parent


def _modules(folder: str) -> set[str]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "__init__.py"
    }


def test_every_feature_module_is_loaded_or_declared_lazy() -> None:
    import bot.pages
    import jobs

    load_all()
    jobs.load_all()
    bot.pages.load_all()
    lazy = {f"handlers.{f.name}.{m}" for f in features() for m in f.lazy}
    for module in lazy:  # a lazy module still imports cleanly on its own
        importlib.import_module(module)
    kit = {m for m in _modules("handlers") if m.startswith(f"handlers.{KIT}.")}
    assert sorted(_modules("handlers") - kit - lazy - set(sys.modules)) == []


def test_every_job_and_page_module_belongs_to_a_feature_that_declares_it() -> None:
    names = {f.name for f in features()}
    with_jobs = {f"jobs.{f.name}" for f in features() if f.jobs}
    with_pages = {f"bot.pages.{f.name}" for f in features() if f.pages}
    assert _modules("jobs") - {"jobs.dispatch", "jobs.scheduler"} == with_jobs
    # a feature's pages: bot/pages/<feature>.py, or a package bot/pages/<feature>/
    pages = {".".join(m.split(".")[:3]) for m in _modules("bot/pages")}
    assert pages - {"bot.pages.registry", "bot.pages.server"} == with_pages
    assert {"meetings", "office_hours", "funding", "feedback", "roster"} <= names


def test_a_feature_package_carries_its_manifest_under_its_own_name() -> None:
    for feature in features():
        module = importlib.import_module(f"handlers.{feature.name}")
        assert module.FEATURE is feature
        for sub in (*feature.modules, *feature.lazy):
            assert (ROOT / "handlers" / feature.name / f"{sub}.py").exists(), (feature, sub)
