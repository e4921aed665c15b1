from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_site import borrower_aware_admin_login
from config.health import healthz
from config.metrics import metrics

admin.site.site_header = "Recourse"
# Lazy: staff read the admin in their own language, like the model names under these titles.
admin.site.site_title = _("Recourse staff")
admin.site.index_title = _("Appeals desk")
admin.site.login = borrower_aware_admin_login(admin.site.login)

handler404 = "config.api.page_not_found"
handler500 = "config.errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("config.api_urls")),
    path("credit/", include("credit.urls")),
    path("appeals/", include("appeals.urls")),
    path("messages/", include("notifications.urls")),
    path("", include("accounts.urls")),
]
