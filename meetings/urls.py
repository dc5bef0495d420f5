from django.urls import path

from meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("<int:pk>/invite/", views.meeting_invite, name="meeting_invite"),
    path("<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("<int:pk>/decisions/", views.decision_create, name="decision_create"),
    path("<int:pk>/calendar.ics", views.meeting_ics_view, name="meeting_ics"),
    path("<int:pk>/notulen/", views.meeting_minutes_print, name="minutes_print"),
    path("<int:pk>/notulen.pdf", views.meeting_minutes_pdf, name="minutes_pdf"),
    path("decisions/<int:pk>/status/", views.decision_status, name="decision_status"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<int:pk>/", views.series_detail, name="series_detail"),
    path("series/<int:pk>/edit/", views.series_edit, name="series_edit"),
    path("desk/<str:code>/decisions/", views.desk_decisions, name="desk_decisions"),
    path("desk/<str:code>/decisions.csv", views.decisions_csv, name="decisions_csv"),
    path("desk/<str:code>/decisions.xlsx", views.decisions_xlsx, name="decisions_xlsx"),
    path("desk/<str:code>/feed/", views.feed_manage, name="feed_manage"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
