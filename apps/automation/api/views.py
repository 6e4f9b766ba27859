from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import NewestFirstCursorPagination

from ..models import Enforcement, Event, Rule, Trigger
from ..services.events import event_create
from ..services.switches import rule_set_enabled, trigger_set_enabled
from ..services.webhooks import webhook_receive
from .filters import EnforcementFilter, EventFilter, RuleFilter, TriggerFilter
from .serializers import (
    EnforcementSerializer,
    EventCreateSerializer,
    EventSerializer,
    RuleSerializer,
    TriggerSerializer,
    WebhookAcceptedSerializer,
)


class EnableDisableMixin:
    """`POST …/<ref>/enable/` and `…/disable/`, answering the object; `set_enabled`
    is the service that does it."""

    set_enabled = None

    def _switch(self, enabled: bool) -> Response:
        obj = self.set_enabled(ref=self.get_object().ref, enabled=enabled)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def enable(self, request, ref=None):
        return self._switch(True)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def disable(self, request, ref=None):
        return self._switch(False)


class TriggerViewSet(EnableDisableMixin, viewsets.ReadOnlyModelViewSet):
    """Triggers. A disabled one refuses new events (400 naming `trigger`)."""

    queryset = Trigger.objects.select_related("pack")
    serializer_class = TriggerSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = TriggerFilter
    set_enabled = staticmethod(trigger_set_enabled)


class RuleViewSet(EnableDisableMixin, viewsets.ReadOnlyModelViewSet):
    """Rules. A disabled one matches no event from the next one processed."""

    queryset = Rule.objects.select_related("pack")
    serializer_class = RuleSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = RuleFilter
    ordering_fields = ["ref", "created_at"]
    set_enabled = staticmethod(rule_set_enabled)


class EventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = NewestFirstCursorPagination

    @extend_schema(request=EventCreateSerializer, responses={202: EventSerializer})
    def create(self, request, *args, **kwargs):
        """Fire an event of a trigger; its rules are evaluated asynchronously."""
        serializer = EventCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        event = event_create(
            trigger=serializer.validated_data["trigger"], payload=serializer.validated_data["payload"],
            source="api", user=request.user, validate=True,
        )
        return Response(EventSerializer(event).data, status=status.HTTP_202_ACCEPTED)


class EnforcementViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Enforcement.objects.select_related("event")
    serializer_class = EnforcementSerializer
    filterset_class = EnforcementFilter
    pagination_class = NewestFirstCursorPagination


class WebhookView(APIView):
    """`POST /api/v1/webhooks/<name>`: stores the event, answers 202 with its id."""

    @extend_schema(request=None, responses={202: WebhookAcceptedSerializer})
    def post(self, request, name: str):
        from django.conf import settings

        from apps.core.errors import InvalidInput

        body = request.body
        if len(body) > settings.ATTUNE_WEBHOOK_MAX_BODY:
            raise InvalidInput("body", f"is larger than {settings.ATTUNE_WEBHOOK_MAX_BODY} bytes")
        event = webhook_receive(
            name=name, body=body, content_type=request.content_type or "application/json",
            headers=dict(request.headers), user=request.user,
            delivery_id=request.headers.get("X-Attune-Delivery") or request.headers.get("Webhook-Id"),
        )
        return Response({"event_id": event.pk, "status": event.status}, status=status.HTTP_202_ACCEPTED)
