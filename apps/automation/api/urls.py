from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    EnforcementViewSet,
    EventViewSet,
    RuleViewSet,
    SensorViewSet,
    TriggerViewSet,
    WebhookSlashView,
    WebhookView,
)

router = SimpleRouter()
router.register("triggers", TriggerViewSet, basename="trigger")
router.register("rules", RuleViewSet, basename="rule")
router.register("sensors", SensorViewSet, basename="sensor")
router.register("events", EventViewSet, basename="event")
router.register("enforcements", EnforcementViewSet, basename="enforcement")
urlpatterns = [
    path("webhooks/<str:name>", WebhookView.as_view(), name="webhook"),
    path("webhooks/<str:name>/", WebhookSlashView.as_view()),
    *router.urls,
]
