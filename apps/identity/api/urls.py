from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    ApiKeyViewSet,
    AuditEventViewSet,
    LoginView,
    LogoutView,
    RefreshView,
    RoleViewSet,
    UserViewSet,
    WhoamiView,
)

router = SimpleRouter()
router.register("users", UserViewSet, basename="user")
router.register("roles", RoleViewSet, basename="role")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

auth = [
    ("login", LoginView.as_view(), "auth-login"),
    ("refresh", RefreshView.as_view(), "auth-refresh"),
    ("logout", LogoutView.as_view(), "auth-logout"),
    ("whoami", WhoamiView.as_view(), "auth-whoami"),
]
urlpatterns = [
    *(path(f"auth/{name}", view, name=url_name) for name, view, url_name in auth),
    *router.urls,
]
