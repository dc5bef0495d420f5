from django.urls import path

from logistics import views

app_name = "logistics"

urlpatterns = [
    path("", views.index, name="index"),
    path("nasional/", views.national, name="national"),
    path("nasional/export.<str:fmt>", views.export, name="national_export"),
    path("wilayah/<str:code>/", views.area, name="area"),
    path("wilayah/<str:code>/export.<str:fmt>", views.export, name="export"),
    path("desa/<str:code>/ubah/", views.village_edit, name="village_edit"),
    path("kecamatan/<str:code>/ubah/", views.district_edit, name="district_edit"),
    path("wilayah/<str:code>/masalah/baru/", views.problem_new, name="problem_new"),
    path("impor/", views.import_new, name="import"),
    path("impor/tps-dpt/", views.import_counts, name="import_counts"),
    path("impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("masalah/", views.problem_list, name="problems"),
    path("masalah/<int:pk>/", views.problem_detail, name="problem"),
]
