from __future__ import annotations

from rest_framework import viewsets

from ..models import WorkflowDefinition
from .filters import WorkflowFilter
from .serializers import WorkflowSerializer


class WorkflowViewSet(viewsets.ReadOnlyModelViewSet):
    """Workflow actions and their graphs, by the action's ref. A workflow is defined
    by its pack's files; its runs are executions (`/executions/?action=<ref>`, and a
    run's tasks `/executions/?root=<id>`)."""

    queryset = WorkflowDefinition.objects.select_related("action__pack")
    serializer_class = WorkflowSerializer
    lookup_field = "action__ref"
    lookup_url_kwarg = "ref"
    lookup_value_regex = r"[^/]+"
    filterset_class = WorkflowFilter
    ordering_fields = ["action__ref", "updated_at"]
    ordering = ["action__ref"]
    rbac_resource = "workflows"
