"""Load pages, anomaly watch, forecasts and consumption analysis (issue #14 items 3, 5, 6, 7)."""

from django.urls import path

from . import views_analysis as v

app_name = "consumption_analysis"

urlpatterns = [
    path("customers/<int:pk>/load/", v.load_page, name="load"),
    path("customers/<int:pk>/load/heatmap/", v.load_heatmap, name="load_heatmap"),
    path("customers/<int:pk>/tab/", v.customer_tab, name="customer_tab"),
    path("anomalies/", v.anomaly_list, name="anomalies"),
    path("anomalies/<int:pk>/", v.anomaly_detail, name="anomaly"),
    path("churn-risk/", v.churn_risk, name="churn"),
    path("forecasts/", v.forecast_page, name="forecasts"),
    path("analysis/", v.analysis_page, name="analysis"),
]
