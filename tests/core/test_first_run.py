"""The first run is alive (issue #10 §1): `make run` starts the scheduler, which runs the jobs at
start; the demo load reports progress, computes the summaries and sends its SMS to a log file;
customer links follow the address the server runs on; the demo logins come last, aligned."""

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command

from powerkam.core import jobs
from powerkam.customers.management.commands.demo_logins import width

ROOT = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")


def _run_recipe() -> str:
    makefile = (ROOT / "Makefile").read_text()
    return makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]


def test_make_run_starts_the_scheduler_running_the_jobs_at_start():
    recipe = _run_recipe()
    assert "manage.py db_worker" in recipe
    assert re.search(r"manage.py run_scheduler --now\b", recipe)
    # The demo logins are printed once the server answers, after everything else has started.
    assert recipe.index("gunicorn") < recipe.index("wait_until_up.py $(LOCAL_URL)") < recipe.index("demo_logins")
    # A port already taken is said plainly before anything starts.
    assert recipe.index("wait_until_up.py --free $(HOST) $(PORT)") < recipe.index("gunicorn")


def test_a_scheduler_started_with_run_now_runs_every_job_at_its_first_tick():
    ran = []
    start = datetime(2026, 12, 3, 14, 0, tzinfo=SH)
    scheduler = jobs.Scheduler(now=start, runner=lambda name, day: ran.append((name, day)) or {}, run_now=True)
    assert set(scheduler.tick(start)) == set(jobs.JOBS)
    assert {day for _name, day in ran} == {start.date()}
    assert scheduler.tick(datetime(2026, 12, 3, 15, 0, tzinfo=SH)) == {}  # then on schedule again
    assert all(when > start for when in scheduler.next_runs.values())


def _settings_in_a_fresh_process(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "POWERKAM_BASE_URL")}
    environ.update(env, PYTHONPATH=str(ROOT / "src"), DJANGO_SETTINGS_MODULE="powerkam.settings")
    code = "from django.conf import settings; print(settings.POWERKAM_BASE_URL)"
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize(("env", "expected"), [
    ({"PORT": "18555"}, "http://localhost:18555"),
    ({"HOST": "192.168.1.20", "PORT": "9000"}, "http://192.168.1.20:9000"),
    ({"HOST": "0.0.0.0", "PORT": "9000"}, "http://localhost:9000"),
    ({}, "http://localhost:8000"),
    ({"PORT": "9000", "POWERKAM_BASE_URL": "https://kam.example.cn/"}, "https://kam.example.cn"),
])
def test_customer_links_follow_the_port_the_server_runs_on(env, expected):
    assert _settings_in_a_fresh_process(**env) == expected


def test_sms_of_the_logging_gateway_go_to_a_log_file_not_the_console():
    handlers = settings.LOGGING["loggers"]["powerkam.sms"]["handlers"]
    assert [settings.LOGGING["handlers"][h]["class"] for h in handlers] == ["logging.handlers.RotatingFileHandler"]
    assert settings.LOGGING["handlers"]["sms"]["filename"] == settings.POWERKAM_SMS_LOG


# Committed for real, as `make run` does: the outage notices and surveys go out after their commit.
@pytest.mark.django_db(transaction=True)  # pytest-django runs these after the others
def test_the_demo_load_reports_progress_fills_the_summaries_and_keeps_the_console_readable(capsys):
    from powerkam.analytics.models import MonthlySales
    from powerkam.billing.models import Bill

    call_command("load_demo", scale=80, seed=5)
    out, err = capsys.readouterr()
    # Progress: one line per step as it finishes, with its time.
    for name in ("archive:", "billing:", "receivables:", "credit:", "tickets:", "visits:", "outages:", "surveys:",
                 "analytics_monthly_sales:", "refresh_ticket_summary:", "receivables_ladder:"):
        assert re.search(rf"^  {re.escape(name)}\s+\d+\.\d s", out, re.M), name
    # The SMS are summarised, not printed one by one.
    assert "SMS to" not in out + err
    assert re.search(r"^[\d,]+ demo SMS sent through the logging gateway \(full text in .+\)\.$", out, re.M)
    # The sales-volume and unit-price pages read this summary: filled for every billed month at once.
    assert set(MonthlySales.objects.values_list("period", flat=True)) == set(Bill.objects.values_list("period", flat=True))
    assert MonthlySales.objects.exists()

    call_command("demo_logins")
    logins = capsys.readouterr().out
    assert f"PowerKAM: {settings.POWERKAM_BASE_URL}/" in logins
    rows = [line for line in logins.splitlines() if line.startswith("  ")]
    assert len(rows) >= 28
    starts = set()
    for line in rows:
        username = re.search(r"\s((?:admin|executive|supervisor|clerk|manager|specialist)\d*)\s", line).group(1)
        starts.add(width(line[:line.index(f" {username} ") + 1]))
    assert len(starts) == 1  # every username starts in the same terminal column
