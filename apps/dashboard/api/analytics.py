"""Analytics for the overview: hourly buckets of executions by status, events, the
busiest actions, and the workers with their queues. Every count covers only the rows
the caller may read (the same restriction as the list endpoints)."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncHour
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.automation.models import Event
from apps.executions.choices import ON_WORKER, Status
from apps.executions.models import Execution, Worker

from .. import access

MAX_HOURS = 24 * 31
FAILED = (Status.FAILED, Status.TIMEOUT, Status.ABANDONED)
HOURS = OpenApiParameter("hours", OpenApiTypes.INT, description=f"window in hours (1–{MAX_HOURS}, default 24)")


def window(request) -> tuple[int, Any, list[Any]]:
    """(hours, since, the hour buckets oldest first) of `?hours=` (default 24)."""
    raw = request.query_params.get("hours", "24")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
        raise ValidationError({"hours": [f"must be a whole number of hours from 1 to {MAX_HOURS}"]})
    hours = int(raw)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    buckets = [now - timedelta(hours=h) for h in range(hours - 1, -1, -1)]
    return hours, buckets[0], buckets


def _key(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00:00Z") if moment else ""


class AnalyticsView(APIView):
    rbac_resource = "executions"

    def check_permissions(self, request):
        super().check_permissions(request)
        access.require(request.user, "read", self.rbac_resource)


class ExecutionAnalytics(AnalyticsView):
    """Executions created per hour, by status; totals and the failure rate of the
    finished ones."""

    rbac_resource = "executions"

    @extend_schema(parameters=[HOURS], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        hours, since, buckets = window(request)
        rows = (access.restrict(Execution.objects.filter(created_at__gte=since), request.user, "executions")
                .annotate(hour=TruncHour("created_at")).values("hour", "status").annotate(n=Count("id")))
        by_hour: dict[str, dict[str, int]] = {_key(b): {} for b in buckets}
        totals: dict[str, int] = {}
        for row in rows:
            counts = by_hour.setdefault(_key(row["hour"]), {})
            counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
            totals[row["status"]] = totals.get(row["status"], 0) + row["n"]
        finished = sum(n for status, n in totals.items() if status in (*FAILED, Status.SUCCEEDED, Status.CANCELED))
        failed = sum(n for status, n in totals.items() if status in FAILED)
        return Response({
            "hours": hours,
            "buckets": [{"hour": hour, "counts": counts, "total": sum(counts.values()),
                         "failed": sum(n for s, n in counts.items() if s in FAILED)}
                        for hour, counts in sorted(by_hour.items())],
            "totals": totals,
            "total": sum(totals.values()),
            "failure_rate": round(failed / finished, 4) if finished else None,
        })


class EventAnalytics(AnalyticsView):
    """Events received per hour."""

    rbac_resource = "events"

    @extend_schema(parameters=[HOURS], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        hours, since, buckets = window(request)
        rows = (access.restrict(Event.objects.filter(created_at__gte=since), request.user, "events")
                .annotate(hour=TruncHour("created_at")).values("hour").annotate(n=Count("id")))
        counts = {_key(b): 0 for b in buckets}
        for row in rows:
            counts[_key(row["hour"])] = counts.get(_key(row["hour"]), 0) + row["n"]
        return Response({"hours": hours, "buckets": [{"hour": h, "count": n} for h, n in sorted(counts.items())],
                         "total": sum(counts.values())})


class ActionAnalytics(AnalyticsView):
    """The busiest actions in the window: executions, failures, mean duration."""

    rbac_resource = "executions"

    @extend_schema(parameters=[HOURS, OpenApiParameter("limit", OpenApiTypes.INT)],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        hours, since, _ = window(request)
        raw = request.query_params.get("limit", "10")
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise ValidationError({"limit": ["must be a whole number from 1 to 100"]})
        rows = (access.restrict(Execution.objects.filter(created_at__gte=since), request.user, "executions")
                .values("action_ref")
                .annotate(count=Count("id"), failed=Count("id", filter=Q(status__in=FAILED)),
                          succeeded=Count("id", filter=Q(status=Status.SUCCEEDED)))
                .order_by("-count", "action_ref")[: int(raw)])
        return Response({"hours": hours, "actions": [
            {"action": r["action_ref"], "count": r["count"], "failed": r["failed"], "succeeded": r["succeeded"]}
            for r in rows]})


class WorkerAnalytics(AnalyticsView):
    """The workers, their queues, and what they run now; executions waiting per queue."""

    rbac_resource = "workers"

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        workers = (Worker.objects.exclude(status="offline")
                   .annotate(running=Count("executions", filter=Q(executions__status__in=ON_WORKER)))
                   .order_by("role", "name"))
        waiting = (access.restrict(Execution.objects.filter(status__in=(Status.REQUESTED, Status.SCHEDULED)),
                                   request.user, "executions")
                   .values("queue").annotate(n=Count("id")).order_by("queue"))
        return Response({
            "workers": [{"id": w.id, "name": w.name, "hostname": w.hostname, "role": w.role, "queues": w.queues,
                         "status": w.status, "running": w.running, "heartbeat_at": w.heartbeat_at}
                        for w in workers],
            "queues": {row["queue"] or "": row["n"] for row in waiting},
        })
