from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.core.api.pagination import NewestFirstCursorPagination
from apps.identity import authz
from apps.identity.tokens import ScopedPrincipal
from apps.packs.api.writes import ServiceWritesMixin

from ..choices import ON_WORKER
from ..models import Action, Execution, Worker
from ..services import tokens
from ..services.actions import action_create, action_delete, action_update
from ..services.cancel import execution_cancel, execution_pause, execution_resume
from ..services.requests import action_resolve, execution_request, execution_rerun
from .filters import ActionFilter, ExecutionFilter, WorkerFilter
from .serializers import (
    LIST_VALUES,
    ActionSerializer,
    ActionWriteSerializer,
    ExecutionListSerializer,
    ExecutionRequestSerializer,
    ExecutionSerializer,
    OutputChunkSerializer,
    ReRunSerializer,
    WorkerSerializer,
    execution_list_row,
)


@extend_schema_view(
    create=extend_schema(request=ActionWriteSerializer, responses={201: ActionSerializer}),
    partial_update=extend_schema(request=ActionWriteSerializer, responses={200: ActionSerializer}),
)
class ActionViewSet(ServiceWritesMixin, viewsets.ModelViewSet):
    """Actions. Deleting one keeps its executions (they keep its ref); refused (409)
    while rules use it."""

    queryset = Action.objects.select_related("pack")
    serializer_class = ActionSerializer
    lookup_field = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = ActionFilter
    ordering_fields = ["ref", "name", "created_at", "updated_at"]
    rbac_resource = "actions"
    kind = "an action"
    write_serializer_class = ActionWriteSerializer
    create_service = staticmethod(action_create)
    update_service = staticmethod(action_update)
    delete_service = staticmethod(action_delete)


class ExecutionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Execution.objects.all()
    filterset_class = ExecutionFilter
    pagination_class = NewestFirstCursorPagination
    ordering_fields = ["id", "created_at"]
    rbac_resource = "executions"
    # Running an action is `execute` on executions, by POST or by re-run.
    rbac_verbs = {"create": "execute", "re_run": "execute", "output": "read"}
    # An action's own token may read its execution and that execution's children.
    scoped_token_kinds = (tokens.KIND,)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.select_related("worker").prefetch_related("history")
        user = self.request.user
        if isinstance(user, ScopedPrincipal):
            queryset = queryset.filter(Q(pk=user.subject_id) | Q(parent_id=user.subject_id))
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return ExecutionListSerializer
        if self.action == "create":
            return ExecutionRequestSerializer
        return ExecutionSerializer

    def list(self, request, *args, **kwargs):
        """Newest first, by cursor. Rows are read as values (a few columns: parameters,
        results and output can be large) and shaped like ExecutionListSerializer."""
        queryset = self.filter_queryset(self.get_queryset()).values(*LIST_VALUES)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([execution_list_row(row) for row in page])

    def check_permissions(self, request):
        super().check_permissions(request)
        if isinstance(request.user, ScopedPrincipal) and self.action not in ("list", "retrieve", "output"):
            self.permission_denied(request, message="an execution token may only read its execution")

    @extend_schema(request=ExecutionRequestSerializer, responses={201: ExecutionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ExecutionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not isinstance(serializer.validated_data.get("parameters"), dict):
            raise ValidationError({"parameters": ["must be an object"]})
        action = action_resolve(serializer.validated_data["action"])
        authz.require(request.user, "execute", "executions", pack=action.pack.ref)
        execution = execution_request(
            action=serializer.validated_data["action"], parameters=serializer.validated_data["parameters"],
            user=request.user,
        )
        execution = Execution.objects.prefetch_related("history").get(pk=execution.pk)
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        execution = self.get_object()
        execution = execution_cancel(execution_id=execution.pk, reason=f"canceled by {request.user}")
        execution = Execution.objects.prefetch_related("history").get(pk=execution.pk)
        return Response(ExecutionSerializer(execution).data)

    @extend_schema(request=ReRunSerializer, responses={201: ExecutionSerializer})
    @action(detail=True, methods=["post"], url_path="re-run")
    def re_run(self, request, pk=None):
        """Run the action again; `parameters` change some values (secrets are reused
        from the stored ones unless given anew)."""
        serializer = ReRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        original = self.get_object()
        authz.require(request.user, "execute", "executions", pack=original.action_ref.split(".", 1)[0])
        execution = execution_rerun(execution_id=original.pk,
                                    parameters=serializer.validated_data.get("parameters"), user=request.user)
        execution = Execution.objects.prefetch_related("history").get(pk=execution.pk)
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Pause a running workflow (running tasks finish; nothing new starts)."""
        execution = execution_pause(execution_id=self.get_object().pk)
        return Response(ExecutionSerializer(Execution.objects.prefetch_related("history").get(pk=execution.pk)).data)

    @extend_schema(request=None, responses={200: ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a paused workflow."""
        execution = execution_resume(execution_id=self.get_object().pk)
        return Response(ExecutionSerializer(Execution.objects.prefetch_related("history").get(pk=execution.pk)).data)

    @extend_schema(responses={200: OutputChunkSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def output(self, request, pk=None):
        """Output chunks in order; `?after=<seq>` returns only newer ones."""
        execution = self.get_object()
        after = request.query_params.get("after", "0")
        if not after.isdigit():
            raise ValidationError({"after": ["must be a chunk number"]})
        chunks = execution.output.filter(seq__gt=int(after)).order_by("seq")[:1000]
        return Response(OutputChunkSerializer(chunks, many=True).data)


class WorkerViewSet(viewsets.ReadOnlyModelViewSet):
    """The worker processes: their queues, heartbeats and what they run now."""

    queryset = Worker.objects.annotate(
        running=Count("executions", filter=Q(executions__status__in=ON_WORKER))
    )
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter
    ordering_fields = ["id", "name", "heartbeat_at"]
    rbac_resource = "workers"
