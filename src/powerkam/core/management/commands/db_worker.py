"""manage.py db_worker: django-tasks-db's worker holding a lease (powerkam.core.leases).

The same command and options as the stock one (this app comes before django_tasks_db in
INSTALLED_APPS, so this one answers to the name): before taking its first task the worker records
its lease and marks failed the tasks of workers that are gone; then a light thread renews the
lease and reaps again periodically while tasks run. It warms up first (core/warmup.py, as a web
worker does at boot): otherwise its first task imports the URLconf — every view module, statsmodels
included — on its first `reverse()`, seconds paid by the first import after a worker starts.

It looks for new tasks every 0.2 s when idle (`--interval`; the stock default is 1 s): a job a
user starts — an import, an outage's notices — waited 0.5 s on average, up to 1 s, before
anything happened; the look costs one indexed query (about 1 ms) per interval.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as StockCommand

from powerkam.core import leases

POLL_SECONDS = 0.2


class Command(StockCommand):
    help = "Run a database background worker (with a lease: tasks of a dead worker are marked failed)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(interval=POLL_SECONDS)  # (the option's help shows it)

    def handle(self, *args, **options):
        if options.get("reload") and not options.get("batch") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child process runs the tasks.
            return super().handle(*args, **options)
        from powerkam.core.warmup import warm_up

        warm_up()
        worker_id = options["worker_id"]
        leases.register_worker(worker_id)
        reaped = leases.reap()
        if reaped and options.get("verbosity", 1):
            self.stdout.write(f"Marked {reaped} task(s) of stopped workers as failed.")
        heartbeat = leases.Heartbeat(worker_id)
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
            leases.stop_worker(worker_id)
