from rest_framework import viewsets

from ..models import Pack, Runtime
from .serializers import PackSerializer, RuntimeSerializer


class PackViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Pack.objects.all()
    serializer_class = PackSerializer
    lookup_field = "ref"
    filterset_fields = ["ref", "system", "enabled"]
    ordering_fields = ["ref", "created_at"]


class RuntimeViewSet(viewsets.ReadOnlyModelViewSet):
    """How actions run: each runtime's interpreter and the queue its workers serve."""

    queryset = Runtime.objects.select_related("pack")
    serializer_class = RuntimeSerializer
    lookup_field = "name"
    filterset_fields = ["name", "queue"]
    ordering_fields = ["name"]
