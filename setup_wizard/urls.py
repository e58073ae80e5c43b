from django.urls import path

from setup_wizard import views

app_name = "setup_wizard"

urlpatterns = [
    path("", views.overview, name="overview"),
]
