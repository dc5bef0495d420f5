from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from desk import api as desk_api
from desk import twofactor_views, views
from desk.operations import operations_view

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/2fa/", twofactor_views.verify, name="twofactor_verify"),
    path("login/2fa/aktifkan/", twofactor_views.enrol, name="twofactor_enrol"),
    path("login/2fa/kode-pemulihan/", twofactor_views.recovery, name="twofactor_recovery"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("directory/", views.agency_list, name="agency_list"),
    path("directory/agencies/new/", views.agency_edit, name="agency_create"),
    path("directory/agencies/<int:pk>/", views.agency_detail, name="agency_detail"),
    path("directory/agencies/<int:pk>/edit/", views.agency_edit, name="agency_edit"),
    path("directory/people/new/", views.person_edit, name="person_create"),
    path("directory/people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("meetings/", include("meetings.urls")),
    path("neutrality/", include("neutrality.urls")),
    path("logistics/", include("logistics.urls")),
    path("api/v1/", include("desk.api")),
    path("api/v1/", include("meetings.api")),
    path("api/v1/", include("neutrality.api")),
    path("api/v1/", include("logistics.api")),
    re_path(r"^api/v1/", desk_api.not_found),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    # The administrators' "Operasi" page: failed deliveries and tasks.
    path("admin/operasi/", admin.site.admin_view(operations_view), name="operations"),
    path("admin/", admin.site.urls),
]

if settings.BENCH_VIEWS:
    from desk import benchviews

    urlpatterns += [
        path("bench/bare/", benchviews.bare, name="bench_bare"),
        path("bench/session/", benchviews.session, name="bench_session"),
    ]

admin.site.site_header = "Desk Pilkada"
admin.site.site_title = "Desk Pilkada"
