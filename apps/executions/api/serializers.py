from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from ..models import Action, Execution, ExecutionHistory, ExecutionOutput, Worker


class ActionSerializer(serializers.ModelSerializer):
    pack = serializers.SlugRelatedField(slug_field="ref", read_only=True)

    class Meta:
        model = Action
        fields = ["id", "ref", "pack", "name", "label", "description", "runner_type", "entry_point",
                  "workflow_file", "parameters", "output_schema", "output_format", "parameter_format",
                  "parameter_delivery", "timeout", "runtime_version", "enabled", "tags", "source", "created_at",
                  "updated_at"]


class ActionWriteSerializer(serializers.Serializer):
    """The shape of an action create or change; the service checks the meaning."""

    ref = serializers.CharField(required=False, help_text="<pack>.<name>; or give pack and name")
    pack = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    label = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    runner_type = serializers.CharField(required=False)
    entry_point = serializers.CharField(required=False, allow_blank=True,
                                        help_text="a file of the pack's actions/ directory")
    workflow_file = serializers.CharField(required=False, allow_blank=True)
    parameters = serializers.JSONField(required=False, help_text="the flat parameter schema")
    output_schema = serializers.JSONField(required=False)
    output_format = serializers.CharField(required=False)
    parameter_format = serializers.CharField(required=False)
    parameter_delivery = serializers.CharField(required=False)
    timeout = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    runtime_version = serializers.CharField(required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ExecutionHistory
        fields = ["status", "previous", "at", "reason"]


class ExecutionListSerializer(serializers.ModelSerializer):
    action = serializers.CharField(source="action_ref")
    rule = serializers.CharField(source="rule_ref")
    trigger = serializers.CharField(source="trigger_ref")
    duration = serializers.SerializerMethodField()

    class Meta:
        model = Execution
        fields = ["id", "action", "status", "rule", "trigger", "event_id", "parent", "task_name", "item_index",
                  "attempt", "exit_code", "created_at", "started_at", "finished_at", "duration"]

    def get_duration(self, obj: Execution) -> float | None:
        start = obj.spawned_at or obj.started_at
        if start and obj.finished_at:
            return round((obj.finished_at - start).total_seconds(), 6)
        return None


# The list's rows built from `.values()`: the same output as ExecutionListSerializer
# (a test holds them equal) at a fraction of its per-field cost, which dominates a page
# of 50 (bench/api_list.py, G6).
LIST_VALUES = ("id", "action_ref", "status", "rule_ref", "trigger_ref", "event_id", "parent_id", "task_name",
               "item_index", "attempt", "exit_code", "created_at", "started_at", "spawned_at", "finished_at")
_datetime = serializers.DateTimeField().to_representation


def execution_list_row(row: dict[str, Any]) -> dict[str, Any]:
    start = row["spawned_at"] or row["started_at"]
    finished = row["finished_at"]
    return {
        "id": row["id"], "action": row["action_ref"], "status": row["status"], "rule": row["rule_ref"],
        "trigger": row["trigger_ref"], "event_id": row["event_id"], "parent": row["parent_id"],
        "task_name": row["task_name"], "item_index": row["item_index"], "attempt": row["attempt"],
        "exit_code": row["exit_code"],
        "created_at": _datetime(row["created_at"]) if row["created_at"] else None,
        "started_at": _datetime(row["started_at"]) if row["started_at"] else None,
        "finished_at": _datetime(finished) if finished else None,
        "duration": round((finished - start).total_seconds(), 6) if start and finished else None,
    }


# Higher apps add to an execution's detail (the workflows app adds its variables and
# output) without this app importing them.
_detail_extensions: list[Callable[[Execution], dict[str, Any]]] = []
CHILDREN_SHOWN = 1000


def register_detail_extension(extension: Callable[[Execution], dict[str, Any]]) -> None:
    if extension not in _detail_extensions:
        _detail_extensions.append(extension)


class ExecutionSerializer(ExecutionListSerializer):
    """One execution in full. `parameters` holds secret values masked: their clear
    values are stored encrypted and never leave the platform through the API."""

    history = HistorySerializer(many=True, read_only=True)
    worker = serializers.CharField(source="worker.name", default=None)
    children = serializers.SerializerMethodField()

    class Meta(ExecutionListSerializer.Meta):
        fields = [*ExecutionListSerializer.Meta.fields, "runner_type", "queue", "parameters", "result", "stdout",
                  "stderr", "stdout_truncated", "stderr_truncated", "error", "timeout", "user", "re_run_of",
                  "root", "worker", "scheduled_at", "spawned_at", "heartbeat_at", "not_before", "updated_at",
                  "history", "children"]

    def get_children(self, obj: Execution) -> list[dict[str, Any]]:
        """Direct children, oldest first (all of them: GET /executions/?parent=<id>)."""
        rows = obj.children.order_by("id").values(
            "id", "action_ref", "status", "task_name", "item_index", "attempt", "created_at", "finished_at"
        )[:CHILDREN_SHOWN]
        return [{"action": row.pop("action_ref"), **row} for row in rows]

    def to_representation(self, instance: Execution) -> dict[str, Any]:
        data = super().to_representation(instance)
        for extension in _detail_extensions:
            data.update(extension(instance))
        return data


class ExecutionRequestSerializer(serializers.Serializer):
    action = serializers.CharField()
    parameters = serializers.JSONField(required=False, default=dict)


class ReRunSerializer(serializers.Serializer):
    parameters = serializers.JSONField(required=False, default=dict)


class OutputChunkSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExecutionOutput
        fields = ["seq", "stream", "data", "created_at"]


class WorkerSerializer(serializers.ModelSerializer):
    running = serializers.IntegerField(read_only=True, help_text="executions it runs now")

    class Meta:
        model = Worker
        fields = ["id", "name", "hostname", "pid", "role", "queues", "status", "started_at", "heartbeat_at",
                  "stopped_at", "running"]
