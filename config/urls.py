"""The console's URLs. Every view needs a signed-in member unless it says otherwise."""

from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/salesforce/", include("salesforce.signin_urls")),
    path("accounts/", include("allauth.urls")),
    path("settings/", include("salesforce.urls")),
    path("setup/", include("setup_wizard.urls")),
    path("submissions/", include("activity.urls")),
]
