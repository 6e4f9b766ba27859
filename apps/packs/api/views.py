from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.identity import authz

from ..errors import PackLoadError
from ..models import Pack, Runtime
from ..services import pack_dir_for, pack_register, pack_uninstall, pack_upload, packs_register_all
from .filters import PackFilter, RuntimeFilter
from .serializers import (
    PackRegisterSerializer,
    PackSerializer,
    PackUploadSerializer,
    RegisterReportSerializer,
    RuntimeSerializer,
)


def _load_errors(exc: PackLoadError) -> list[dict[str, str]]:
    return [{"file": e.file, "field": e.field, "reason": e.reason} for e in exc.errors]


def load_error_response(exc: PackLoadError) -> Response:
    """A pack that does not load: 400, every problem with its file and field."""
    errors = _load_errors(exc)
    body = {"detail": str(exc), "errors": [{"field": e["field"] or "file", **e} for e in errors]}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class PackViewSet(mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Packs. They are installed from their directories (`register`) or an archive
    (`upload`), and removed with DELETE (uninstall)."""

    queryset = Pack.objects.all()
    serializer_class = PackSerializer
    lookup_field = "ref"
    filterset_class = PackFilter
    ordering_fields = ["ref", "created_at", "updated_at"]
    rbac_resource = "packs"
    rbac_verbs = {"destroy": "manage", "register": "manage", "upload": "manage"}

    @extend_schema(request=PackRegisterSerializer, responses={200: RegisterReportSerializer})
    @action(detail=False, methods=["post"])
    def register(self, request):
        """Register again every pack of the scanned directories, or one (`path` or
        `ref`). Answers what was registered and what failed (400 when the one
        requested pack fails)."""
        serializer = PackRegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authz.require(request.user, "manage", "packs")
        path, ref = serializer.validated_data.get("path"), serializer.validated_data.get("ref")
        if path or ref:
            try:
                pack = pack_register(path=pack_dir_for(path=path, ref=ref))
            except PackLoadError as exc:
                return load_error_response(exc)
            return Response({"registered": [{"ref": pack.ref, "path": pack.path}], "errors": []})
        report: dict[str, list] = {"registered": [], "errors": []}
        for outcome in packs_register_all():
            if outcome.error is not None:
                report["errors"].append({"path": str(outcome.path), "errors": _load_errors(outcome.error)})
            else:
                report["registered"].append({"ref": outcome.pack.ref, "path": outcome.pack.path})
        return Response(report)

    @extend_schema(request={"multipart/form-data": PackUploadSerializer}, responses={201: PackSerializer})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request):
        """Install or upgrade a pack from a tar.gz (`file`); 201 with the pack."""
        serializer = PackUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authz.require(request.user, "manage", "packs")
        try:
            pack = pack_upload(file=serializer.validated_data["file"])
        except PackLoadError as exc:
            return load_error_response(exc)
        return Response(PackSerializer(pack).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        """Uninstall the pack (its content goes; execution history stays)."""
        pack = self.get_object()
        authz.require(request.user, "manage", "packs", pack=pack.ref)
        pack_uninstall(ref=pack.ref)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuntimeViewSet(viewsets.ReadOnlyModelViewSet):
    """How actions run: each runtime's interpreter and the queue its workers serve.
    Runtimes are defined by packs' files only."""

    queryset = Runtime.objects.select_related("pack")
    serializer_class = RuntimeSerializer
    lookup_field = "name"
    filterset_class = RuntimeFilter
    ordering_fields = ["name", "ref"]
    rbac_resource = "runtimes"
