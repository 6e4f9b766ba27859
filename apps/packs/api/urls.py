from rest_framework.routers import SimpleRouter

from .views import PackViewSet

router = SimpleRouter()
router.register("packs", PackViewSet, basename="pack")
urlpatterns = router.urls
