from rest_framework.routers import SimpleRouter

from .views import ActionViewSet, ExecutionViewSet

router = SimpleRouter()
router.register("actions", ActionViewSet, basename="action")
router.register("executions", ExecutionViewSet, basename="execution")
urlpatterns = router.urls
