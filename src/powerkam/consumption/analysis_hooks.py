"""What the load pages, the anomaly watch and the forecasts (issue #14 items 3, 5, 6) add to the
rest: nightly jobs in core.jobs (run by `manage.py run_scheduler`) and a tab on the customer 360 page."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from powerkam.core import jobs as core_jobs
from powerkam.core.extensions import register_customer_tab


def anomaly_watch(day: date) -> dict:
    from . import anomalies

    return anomalies.run_watch(day)


def forecasts(day: date) -> dict:
    from . import forecasting

    return forecasting.run_forecasts(day)


# After the collection system's overnight delivery (and the ingest it triggers).
core_jobs.register("consumption_anomaly_watch", anomaly_watch,
                   "Anomaly watch: every customer's daily kWh against its own baseline",
                   at_env="POWERKAM_CONSUMPTION_WATCH_AT", default_at="04:00")
core_jobs.register("consumption_forecasts", forecasts,
                   "Forecasts: next 7 days and 12 months of kWh per key account and org unit",
                   at_env="POWERKAM_CONSUMPTION_FORECAST_AT", default_at="04:30")


from . import admin_analysis  # noqa: E402,F401 - the watch's settings and reasons in the admin

# The customer 360 page: a "Load" tab (a summary and the link to the full load page).
register_customer_tab("load", _("Load"), "bi-activity", "consumption_analysis:customer_tab", order=62)
