"""The Salesforce sign-in URLs, served by the console's own allauth views.

They sit in front of allauth's URLs at the same paths
(``/accounts/salesforce/login/`` and ``.../callback/``), so the callback URL
registered in the connected app does not change.
"""

from django.urls import path

from salesforce import adapters

urlpatterns = [
    path("login/", adapters.oauth2_login, name="salesforce_login"),
    path("login/callback/", adapters.oauth2_callback, name="salesforce_callback"),
]
