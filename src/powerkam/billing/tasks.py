"""Background billing runs (Django Tasks API): a large month runs as a job with progress."""

from django_tasks import task

from powerkam.core.leases import when_lost


@task()
def run_billing_job(run_id: int) -> None:
    from .models import BillingRun
    from .services import run_billing

    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    run_billing(run.period, actor=run.created_by, scope_user=run.created_by, run=run)


@when_lost(run_billing_job)
def _billing_worker_lost(args: list, kwargs: dict) -> None:
    from .services import billing_worker_lost

    billing_worker_lost(args[0] if args else kwargs["run_id"])
