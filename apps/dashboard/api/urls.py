from django.urls import path

from . import analytics

urlpatterns = [
    path("analytics/executions/", analytics.ExecutionAnalytics.as_view(), name="analytics-executions"),
    path("analytics/events/", analytics.EventAnalytics.as_view(), name="analytics-events"),
    path("analytics/actions/", analytics.ActionAnalytics.as_view(), name="analytics-actions"),
    path("analytics/workers/", analytics.WorkerAnalytics.as_view(), name="analytics-workers"),
]
