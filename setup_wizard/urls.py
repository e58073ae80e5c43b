from django.urls import path

from setup_wizard import views

app_name = "setup_wizard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("start/", views.start, name="start"),
    path("runs/<int:run_id>/", views.resume, name="resume"),
    path("runs/<int:run_id>/connect/", views.connect, name="connect"),
    path("runs/<int:run_id>/extension/", views.extension, name="extension"),
    path(
        "runs/<int:run_id>/extension/existing/",
        views.extension_find_existing,
        name="extension_find_existing",
    ),
    path(
        "runs/<int:run_id>/extension/adopt/",
        views.extension_adopt,
        name="extension_adopt",
    ),
    path(
        "runs/<int:run_id>/extension/new/",
        views.extension_create_new,
        name="extension_create_new",
    ),
    path("runs/<int:run_id>/types/", views.activity_types, name="types"),
    path(
        "runs/<int:run_id>/business-units/",
        views.business_units,
        name="business_units",
    ),
    path("runs/<int:run_id>/review/", views.review, name="review"),
    path("runs/<int:run_id>/progress/", views.progress, name="progress"),
    path("runs/<int:run_id>/retry/", views.retry, name="retry"),
    path("runs/<int:run_id>/edit/", views.edit, name="edit"),
    path("runs/<int:run_id>/discard/", views.discard, name="discard"),
    path("checks/<int:check_id>/", views.check_status, name="check_status"),
    path("api-name/check/", views.api_name_check, name="api_name_check"),
    path("api-name/suggest/", views.api_name_suggest, name="api_name_suggest"),
    path("api-name/suffix/", views.api_name_suffix, name="api_name_suffix"),
    path("extensions/", views.extensions, name="extensions"),
    path(
        "extensions/<int:extension_id>/active/",
        views.extension_active,
        name="extension_active",
    ),
    path(
        "extensions/<int:extension_id>/types/",
        views.activity_type_add,
        name="activity_type_add",
    ),
    path(
        "extensions/<int:extension_id>/assignments/",
        views.assignment_add,
        name="assignment_add",
    ),
    path(
        "activity-types/<int:type_id>/active/",
        views.activity_type_active,
        name="activity_type_active",
    ),
    path(
        "assignments/<int:assignment_id>/remove/",
        views.assignment_remove,
        name="assignment_remove",
    ),
    path("verify/", views.verify, name="verify"),
    path("verify/run/", views.verify_start, name="verify_start"),
    path(
        "verify/<int:check_id>/resolve/",
        views.verify_resolve,
        name="verify_resolve",
    ),
    path("audit/", views.audit, name="audit"),
]
