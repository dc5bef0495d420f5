from django.urls import path

from neutrality import views

app_name = "neutrality"

urlpatterns = [
    path("", views.index, name="index"),
    path("lapor/", views.public_form, name="public_form"),
    path("lapor/terkirim/", views.public_done, name="public_done"),
    path("lacak/", views.track, name="track"),
    path("lacak/cabut/", views.track_withdraw, name="track_withdraw"),
    path("wilayah/", views.regions_json, name="regions"),
    path("baru/", views.create, name="create"),
    path("baru/diterima/", views.create_done, name="create_done"),
    path("statistik/", views.stats, name="stats"),
    path("ekspor.<str:fmt>", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.transition, name="transition"),
    path("<int:pk>/tugaskan/", views.assign, name="assign"),
    path("<int:pk>/pindah/", views.reroute, name="reroute"),
    path("<int:pk>/duplikat/", views.duplicate, name="duplicate"),
    path("<int:pk>/bukti/tambah/", views.evidence_add, name="evidence_add"),
    path("<int:pk>/bukti/<int:evidence_pk>/", views.evidence_download, name="evidence"),
]
