from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.pagination import NewestFirstCursorPagination
from apps.identity import authz
from apps.identity.permissions import RbacPermission
from apps.identity.tokens import ScopedPrincipal
from apps.packs.api.writes import ServiceWritesMixin

from ..models import Enforcement, Event, Rule, Sensor, Trigger
from ..services import sensors
from ..services.definitions import (
    rule_create,
    rule_delete,
    rule_update,
    trigger_create,
    trigger_delete,
    trigger_update,
)
from ..services.events import event_create, trigger_resolve
from ..services.signatures import signature_of, webhook_signature_check
from ..services.switches import rule_set_enabled, sensor_set_enabled, trigger_set_enabled
from ..services.webhooks import webhook_receive
from .filters import EnforcementFilter, EventFilter, RuleFilter, SensorFilter, TriggerFilter
from .serializers import (
    EnforcementSerializer,
    EventCreateSerializer,
    EventSerializer,
    RuleSerializer,
    RuleWriteSerializer,
    SensorSerializer,
    TriggerSerializer,
    TriggerWriteSerializer,
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


@extend_schema_view(
    create=extend_schema(request=TriggerWriteSerializer, responses={201: TriggerSerializer}),
    partial_update=extend_schema(request=TriggerWriteSerializer, responses={200: TriggerSerializer}),
)
class TriggerViewSet(ServiceWritesMixin, EnableDisableMixin, viewsets.ModelViewSet):
    """Triggers. A disabled one refuses new events (400 naming `trigger`). Deleting
    one keeps its events; refused (409) while rules use it."""

    queryset = Trigger.objects.select_related("pack")
    serializer_class = TriggerSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = TriggerFilter
    ordering_fields = ["ref", "name", "created_at", "updated_at"]
    set_enabled = staticmethod(trigger_set_enabled)
    rbac_resource = "triggers"
    kind = "a trigger"
    write_serializer_class = TriggerWriteSerializer
    create_service = staticmethod(trigger_create)
    update_service = staticmethod(trigger_update)
    delete_service = staticmethod(trigger_delete)


@extend_schema_view(
    create=extend_schema(request=RuleWriteSerializer, responses={201: RuleSerializer}),
    partial_update=extend_schema(request=RuleWriteSerializer, responses={200: RuleSerializer}),
)
class RuleViewSet(ServiceWritesMixin, EnableDisableMixin, viewsets.ModelViewSet):
    """Rules. A disabled one matches no event from the next one processed. Deleting
    one keeps its enforcements and their executions."""

    queryset = Rule.objects.select_related("pack", "action")
    serializer_class = RuleSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = RuleFilter
    ordering_fields = ["ref", "name", "created_at", "updated_at"]
    set_enabled = staticmethod(rule_set_enabled)
    rbac_resource = "rules"
    kind = "a rule"
    write_serializer_class = RuleWriteSerializer
    create_service = staticmethod(rule_create)
    update_service = staticmethod(rule_update)
    delete_service = staticmethod(rule_delete)


class SensorViewSet(EnableDisableMixin, viewsets.ReadOnlyModelViewSet):
    """Sensors, registered from packs' sensors/. A disabled one's token stops working."""

    queryset = Sensor.objects.select_related("pack")
    serializer_class = SensorSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = SensorFilter
    ordering_fields = ["ref", "created_at"]
    rbac_resource = "sensors"
    set_enabled = staticmethod(sensor_set_enabled)


class EventViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    pagination_class = NewestFirstCursorPagination
    ordering_fields = ["id", "created_at"]
    rbac_resource = "events"
    # A sensor's token posts events of its own triggers, and does nothing else.
    scoped_token_kinds = (sensors.KIND,)

    def check_permissions(self, request):
        super().check_permissions(request)
        if isinstance(request.user, ScopedPrincipal) and self.action != "create":
            self.permission_denied(request, message="a sensor token may only post events")

    @extend_schema(request=EventCreateSerializer, responses={202: EventSerializer})
    def create(self, request, *args, **kwargs):
        """Fire an event of a trigger; its rules are evaluated asynchronously."""
        serializer = EventCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        trigger = trigger_resolve(serializer.validated_data["trigger"])
        source = "api"
        if isinstance(request.user, ScopedPrincipal):
            if not sensors.may_post(request.user, trigger.ref):
                raise PermissionDenied(f"this sensor does not fire {trigger.ref}")
            source = f"sensor:{request.user.scope['sensor']}"
        else:
            authz.require(request.user, "create", "events", pack=trigger.pack.ref)
        event = event_create(
            trigger=trigger, payload=serializer.validated_data["payload"], source=source, user=request.user,
            validate=True,
        )
        return Response(EventSerializer(event).data, status=status.HTTP_202_ACCEPTED)


class EnforcementViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Enforcement.objects.select_related("event")
    serializer_class = EnforcementSerializer
    filterset_class = EnforcementFilter
    pagination_class = NewestFirstCursorPagination
    ordering_fields = ["id", "created_at"]
    rbac_resource = "enforcements"


class SignedOrPermitted(RbacPermission):
    """A caller without a token may come in with a signature, which the view checks
    against the webhook's signing key before anything is stored."""

    def has_permission(self, request, view) -> bool:
        if request.user is None and signature_of(request.headers):
            return True
        return super().has_permission(request, view)


class WebhookView(APIView):
    """`POST /api/v1/webhooks/<name>`: stores the event, answers 202 with its id.
    Called with an API token, or signed (HMAC-SHA256 of the body) for a rule with an
    `hmac_key`."""

    rbac_resource = "events"
    permission_classes = [SignedOrPermitted]

    @extend_schema(request=None, responses={202: WebhookAcceptedSerializer})
    def post(self, request, name: str):
        from django.conf import settings

        from apps.core.errors import InvalidInput

        body = request.body
        if len(body) > settings.ATTUNE_WEBHOOK_MAX_BODY:
            raise InvalidInput("body", f"is larger than {settings.ATTUNE_WEBHOOK_MAX_BODY} bytes")
        if request.user is None:
            webhook_signature_check(name=name, body=body, signature=signature_of(request.headers))
        event = webhook_receive(
            name=name, body=body, content_type=request.content_type or "application/json",
            headers=dict(request.headers), user=request.user,
            delivery_id=request.headers.get("X-Attune-Delivery") or request.headers.get("Webhook-Id"),
        )
        return Response({"event_id": event.pk, "status": event.status}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(post=extend_schema(exclude=True))
class WebhookSlashView(WebhookView):
    """The same endpoint with a trailing slash, left out of the schema (one operation)."""
