from django.urls import path

from salesforce import views

app_name = "salesforce"

urlpatterns = [
    path("", views.org_settings, name="settings"),
    path("switch/", views.switch, name="switch"),
    path("orgs/add/", views.org_add, name="add_org"),
    path(
        "account-engagement/",
        views.account_engagement_host,
        name="account_engagement_host",
    ),
    path(
        "connections/integration/",
        views.integration_connect,
        name="integration_connect",
    ),
    path("connections/<int:pk>/", views.connection_detail, name="connection"),
    path(
        "connections/<int:pk>/disconnect/",
        views.connection_disconnect_view,
        name="disconnect",
    ),
    path(
        "connections/<int:pk>/execution/",
        views.connection_execution,
        name="make_execution",
    ),
    path(
        "connections/<int:pk>/reconnect/",
        views.connection_reconnect,
        name="reconnect",
    ),
    path("members/", views.members, name="members"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove_view, name="member_remove"),
    path("invitations/", views.invitation_create_view, name="invite"),
    path(
        "invitations/<int:pk>/revoke/",
        views.invitation_revoke_view,
        name="revoke_invitation",
    ),
]
