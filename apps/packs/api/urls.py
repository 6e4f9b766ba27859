from rest_framework.routers import SimpleRouter

from .views import PackViewSet, RuntimeViewSet

router = SimpleRouter()
router.register("packs", PackViewSet, basename="pack")
router.register("runtimes", RuntimeViewSet, basename="runtime")
urlpatterns = router.urls
