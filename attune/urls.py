from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def health_live(request):
    return JsonResponse({"status": "ok"})


def health_ready(request):
    from apps.core.health import readiness

    checks = readiness()
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


api = [
    path("", include("apps.identity.api.urls")),
    path("", include("apps.keys.api.urls")),
    path("", include("apps.packs.api.urls")),
    path("", include("apps.executions.api.urls")),
    path("", include("apps.automation.api.urls")),
    path("", include("apps.workflows.api.urls")),
    path("", include("apps.dashboard.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("health/live", health_live),
    path("health/ready", health_ready),
    path("", include("apps.dashboard.urls")),
]
