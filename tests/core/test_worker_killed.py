"""A job survives its worker dying (issue #9 item 5), tried for real: a `manage.py db_worker`
process is killed with SIGKILL in the middle of an import's commit; a new worker finds the job,
marks it failed with a clear message, nothing is half-written, and running it again succeeds.

The test and the workers are separate processes, so they share a database only separate
processes can share: a copy of the (migrated) SQLite test database in a file, or the
PostgreSQL test database itself. tests/core/worker_driver.py runs the application's services
in a process of its own against that database."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
ROWS = 6000  # six batches of 1000: the commit is caught after its first batch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app(tmp_path):
    """Runs the driver and starts workers against a database shared with them; kills what it started."""
    settings_dict = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="powerkam.settings", PYTHONPATH=str(ROOT / "src"),
               POWERKAM_VAR_DIR=str(tmp_path / "var"), MEDIA_ROOT=str(tmp_path / "media"),
               POWERKAM_IMPORT_INLINE_ROWS="100", POWERKAM_JOB_HEARTBEAT_SECONDS="1", LANGUAGE_CODE="zh-hans")
    if connection.vendor == "sqlite":
        path = tmp_path / "shared.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)  # the migrated schema
        target.close()
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["DATABASE_URL"] = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
            **{k: settings_dict.get(k) or "" for k in ("USER", "PASSWORD", "HOST", "NAME")},
            PORT=settings_dict.get("PORT") or 5432)
    started: list[subprocess.Popen] = []

    class App:
        media = tmp_path / "media"

        def run(self, *args):
            out = subprocess.run([sys.executable, str(ROOT / "tests/core/worker_driver.py"), *map(str, args)],
                                 env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
            assert out.returncode == 0, out.stderr[-3000:]
            return json.loads(out.stdout.strip().splitlines()[-1])

        def worker(self) -> subprocess.Popen:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2",
                 "--no-startup-delay", "--no-reload", "-v", "0"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            started.append(process)
            return process

        def wait_for(self, job_id, condition, timeout=180):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                state = self.run("state", job_id)
                if condition(state):
                    return state
                time.sleep(0.5)
            raise AssertionError(f"job {job_id} never reached the expected state: {state}")

        def progress(self, job_id):
            try:
                return json.loads((self.media / "imports" / "progress" / f"{job_id}.json").read_text())
            except (OSError, ValueError):
                return None

    yield App()
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_a_job_whose_worker_is_killed_mid_commit_fails_clearly_and_runs_again(app):
    job = app.run("dry_run", ROWS)
    worker = app.worker()
    assert app.wait_for(job, lambda s: s["status"] != "validating")["status"] == "ready"
    app.run("commit", job)

    deadline = time.monotonic() + 180
    while True:  # wait until the commit has written its first batch (inside its transaction)
        progress = app.progress(job)
        if progress and 0 < progress["done"] < progress["total"]:
            break
        assert worker.poll() is None and time.monotonic() < deadline, "the commit was never seen running"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)

    stuck = app.run("state", job)
    assert (stuck["status"], stuck["task"]) == ("committing", "RUNNING")  # what the user saw for ever

    app.worker()  # a new worker: looks for the tasks of dead workers before taking any
    lost = app.wait_for(job, lambda s: s["status"] != "committing", timeout=120)
    assert lost["status"] == "failed" and lost["task"] == "FAILED"
    assert "后台任务进程已中断" in lost["message"] and "未写入任何数据" in lost["message"]
    assert lost["customers"] == 0  # all or nothing: the killed transaction wrote nothing
    assert lost["can_retry"]

    again = app.run("retry", job)  # "Commit again": the stored file, as a new job
    done = app.wait_for(again, lambda s: s["status"] not in ("pending", "committing"))
    assert done["status"] == "done" and done["customers"] == ROWS
