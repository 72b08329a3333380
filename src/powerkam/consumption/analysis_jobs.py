"""Nightly jobs of the anomaly watch and the forecasts (issue #14 items 5 and 6), registered in
core.jobs and run by `manage.py run_scheduler` like every periodic job."""

from datetime import date

from powerkam.core import jobs as core_jobs


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
