"""The demo company's module data, loaded after the archive by `manage.py load_demo`.

The archive's own demo (org, staff, customers) is in customers/demo.py. Each higher module
provides `load_demo(*, seed, today, log) -> dict` in its `demo.py`; they run in layer order
(money, then service) because later ones read earlier ones' data (payments pay the billing
demo's bills, credit ratings read both). Dotted paths keep core free of imports of higher
layers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from django.utils.module_loading import import_string

MODULE_DEMOS: list[tuple[str, str]] = [
    ("billing", "powerkam.billing.demo.load_demo"),
    ("receivables", "powerkam.receivables.demo.load_demo"),
    ("credit", "powerkam.credit.demo.load_demo"),
    ("tickets", "powerkam.service.tickets.demo.load_demo"),
    ("visits", "powerkam.service.visits.demo.load_demo"),
    ("outages", "powerkam.service.outages.demo.load_demo"),
    ("surveys", "powerkam.service.surveys.demo.load_demo"),
    ("projects", "powerkam.projects.demo.load_demo"),
    ("pipeline", "powerkam.pipeline.demo.load_demo"),
]


def load_module_demos(*, seed: int, today: date, log: Callable[[str], None] | None = None,
                      progress: Callable[[str, dict, float], None] | None = None) -> dict[str, dict]:
    """Each module's demo in layer order; `progress(name, counts, seconds)` after each one."""
    counts: dict[str, dict] = {}
    for name, path in MODULE_DEMOS:
        loader = import_string(path)
        started = time.perf_counter()
        counts[name] = loader(seed=seed, today=today, log=log) or {}
        if progress:
            progress(name, counts[name], time.perf_counter() - started)
    return counts


def run_periodic_jobs(today: date, progress: Callable[[str, dict, float], None] | None = None) -> dict[str, dict]:
    """Every periodic job once for `today`, as the scheduler would overnight, so a fresh demo
    shows advanced ladders, escalations, visit plans and filled analysis summaries at once."""
    from powerkam.core import jobs

    results: dict[str, dict] = {}
    for name in jobs.JOBS:
        started = time.perf_counter()
        results[name] = jobs.run_job(name, today)
        if progress:
            progress(name, results[name], time.perf_counter() - started)
    return results
