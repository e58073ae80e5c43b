from django.urls import path

from activity import views

app_name = "activity"

urlpatterns = [
    path("", views.history, name="history"),
    path("test/", views.submit, name="submit"),
    path("email/", views.email_history, name="email"),
    path("export.csv", views.export, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/outcome/", views.outcome, name="outcome"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/resend/", views.resend, name="resend"),
]
