"""Background billing runs (Django Tasks API): a large month runs as a job with progress."""

from django_tasks import task


@task()
def run_billing_job(run_id: int) -> None:
    from .models import BillingRun
    from .services import run_billing

    run = BillingRun.objects.select_related("created_by").get(pk=run_id)
    run_billing(run.period, actor=run.created_by, scope_user=run.created_by, run=run)
