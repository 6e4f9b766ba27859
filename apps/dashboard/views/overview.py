"""The overview: counts and charts, drawn by the browser from /api/v1/analytics/."""

from __future__ import annotations

from .. import access
from .base import page, render_page


@page
def overview(request):
    return render_page(request, "dashboard/overview.html", {
        "may_read": {resource: access.can(request.user, "read", resource)
                     for resource in ("executions", "events", "workers")},
    })
