from rest_framework.routers import SimpleRouter

from .views import ActionViewSet, ExecutionViewSet, WorkerViewSet

router = SimpleRouter()
router.register("actions", ActionViewSet, basename="action")
router.register("executions", ExecutionViewSet, basename="execution")
router.register("workers", WorkerViewSet, basename="worker")
urlpatterns = router.urls
