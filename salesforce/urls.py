from django.urls import path

from salesforce import views

app_name = "salesforce"

urlpatterns = [
    path("", views.org_settings, name="settings"),
    path("switch/", views.switch, name="switch"),
]
