from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.import_list, name="imports"),
    path("<int:import_id>/", views.import_detail, name="import"),
    path("<int:import_id>/preview/", views.import_preview, name="import_preview"),
    path("<int:import_id>/progress/", views.import_progress, name="import_progress"),
    path("<int:import_id>/rejected.csv", views.import_rejected_csv, name="import_rejected"),
]
