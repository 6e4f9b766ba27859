from rest_framework import viewsets

from apps.identity.models import Role


class DecryptingView(viewsets.GenericViewSet):
    queryset = Role.objects.all()

    def decrypt(self, request, pk=None):  # pragma: no cover - never dispatched
        raise AssertionError
