from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import WorkflowDefinition
from ..selectors import workflow_graph


class WorkflowSerializer(serializers.ModelSerializer):
    """A workflow action with its stored graph (`definition`) and that graph's nodes
    and edges (`graph`). Its runs are executions: GET /executions/?action=<ref>."""

    ref = serializers.CharField(source="action.ref", read_only=True)
    pack = serializers.CharField(source="action.pack.ref", read_only=True)
    label = serializers.CharField(source="action.label", read_only=True)
    description = serializers.CharField(source="action.description", read_only=True)
    enabled = serializers.BooleanField(source="action.enabled", read_only=True)
    parameters = serializers.JSONField(source="action.parameters", read_only=True)
    definition = serializers.JSONField(source="data", read_only=True)
    graph = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowDefinition
        fields = ["id", "ref", "pack", "label", "description", "enabled", "parameters", "file", "definition",
                  "graph", "updated_at"]

    @extend_schema_field({"type": "object", "properties": {
        "nodes": {"type": "array", "items": {"type": "object"}},
        "edges": {"type": "array", "items": {"type": "object"}},
        "start": {"type": "array", "items": {"type": "string"}},
        "errors": {"type": "array", "items": {"type": "string"}},
    }})
    def get_graph(self, obj: WorkflowDefinition) -> dict[str, Any]:
        return workflow_graph(data=obj.data, file=obj.file)
