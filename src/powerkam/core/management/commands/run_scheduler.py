"""manage.py run_scheduler [--once] [--job NAME] [--enqueue]: the one command for periodic jobs."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from powerkam.core import jobs, leases


class Command(BaseCommand):
    help = "Run the periodic jobs (nightly data-quality check at POWERKAM_NIGHTLY_AT, default 02:00)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs now and exit (for cron).")
        parser.add_argument("--job", action="append", dest="names", metavar="NAME",
                            help=f"Only this job (repeatable). Known: {', '.join(jobs.JOBS)}.")
        parser.add_argument("--now", action="store_true", dest="run_now",
                            help="Run every job once at start (a first run or a restart catches up), then on schedule.")
        parser.add_argument("--enqueue", action="store_true",
                            help="Hand each due job to the task worker instead of running it here.")

    def handle(self, *args, once=False, names=None, enqueue=False, run_now=False, verbosity=1, **options):
        unknown = [n for n in names or [] if n not in jobs.JOBS]
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(unknown)}. Known: {', '.join(jobs.JOBS)}.")
        for job in jobs.JOBS.values():
            job.at()  # a bad POWERKAM_NIGHTLY_AT fails now, not at 2 a.m.

        def runner(name, day):
            if enqueue:
                result = jobs.run_job_task.enqueue(name, day.isoformat())
                return {"enqueued": result.id}
            return jobs.run_job(name, day)

        if once:
            for name in names or list(jobs.JOBS):
                result = runner(name, timezone.localdate())
                self.stdout.write(f"{name}: {result}")
            return

        scheduler = jobs.Scheduler(names, runner=runner, run_now=run_now)
        if verbosity and not run_now:
            for name, when in scheduler.next_runs.items():
                self.stdout.write(f"{name}: next run {timezone.localtime(when):%Y-%m-%d %H:%M}")
        try:
            while True:
                now = timezone.now()
                close_old_connections()  # a long-lived process: drop connections the server closed
                leases.reap()  # tasks whose worker died are marked failed (and periodic ones enqueued again)
                for name, result in scheduler.tick(now).items():
                    self.stdout.write(f"{timezone.localtime(now):%Y-%m-%d %H:%M} {name}: {result}")
                    self.stdout.flush()
                # Wake at least every minute so clock changes and suspends cannot delay a job much.
                time.sleep(min(60.0, max(1.0, scheduler.seconds_until_next(timezone.now()))))
        except KeyboardInterrupt:
            self.stdout.write("Scheduler stopped.")
