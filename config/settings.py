"""Settings for the External Activity Console.

Everything comes from environment variables; the README lists them. With none
set, the console runs locally on SQLite, an embedded Celery broker and the
bundled Salesforce emulator (demo mode). ``DJANGO_DEBUG=false`` switches to
production rules: secrets must be given and cookies, HSTS and HTTPS are on.
"""

from pathlib import Path

import dj_database_url

from config.env import (
    encryption_keys,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CONSOLE_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", True)
PRODUCTION = not DEBUG

SECRET_KEY = secret_key(VAR_DIR, PRODUCTION)
FIELD_ENCRYPTION_KEYS = encryption_keys(VAR_DIR, PRODUCTION)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.salesforce",
    "salesforce",
    "setup_wizard",
    "activity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.ConsoleLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.console",
                "salesforce.context_processors.salesforce_signin",
            ],
        },
    },
]

# Database

DATABASE_URL = env_str("DATABASE_URL") or "sqlite:///%s" % (VAR_DIR / "console.sqlite3")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: WAL lets
    # readers run beside a writer, and IMMEDIATE transactions take the write
    # lock up front instead of failing half-way with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so a worker process started by the tests sees it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-console.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }

# Sign-in

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
ACCOUNT_ADAPTER = "salesforce.adapters.ConsoleAccountAdapter"
SOCIALACCOUNT_ADAPTER = "salesforce.adapters.ConsoleSocialAccountAdapter"
# Local accounts exist only through an admin's invitation.
ACCOUNT_FORMS = {"signup": "salesforce.forms.InvitationSignupForm"}
# Five wrong passwords for one address lock it for 15 minutes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/15m/key"}

# Email (invitations, password resets). Printed to the console unless an SMTP
# server is configured.

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "console@localhost"

# Salesforce and Account Engagement. With no client id configured the console
# runs in demo mode against the bundled emulator.

SALESFORCE_CLIENT_ID = env_str("SALESFORCE_CLIENT_ID")
DEMO_MODE = not SALESFORCE_CLIENT_ID
EMULATOR_URL = env_str("EMULATOR_URL") or "http://127.0.0.1:8010"
if DEMO_MODE:
    SALESFORCE_CLIENT_ID = "demo-client-id"
    SALESFORCE_CLIENT_SECRET = env_str("SALESFORCE_CLIENT_SECRET", "demo-client-secret")
    SALESFORCE_LOGIN_URL = env_str("SALESFORCE_LOGIN_URL") or EMULATOR_URL
    ACCOUNT_ENGAGEMENT_URL = env_str("ACCOUNT_ENGAGEMENT_URL") or EMULATOR_URL
else:
    SALESFORCE_CLIENT_SECRET = env_str("SALESFORCE_CLIENT_SECRET")
    SALESFORCE_LOGIN_URL = env_str("SALESFORCE_LOGIN_URL")
    ACCOUNT_ENGAGEMENT_URL = env_str("ACCOUNT_ENGAGEMENT_URL")
SALESFORCE_API_VERSION = env_str("SALESFORCE_API_VERSION") or "64.0"
SALESFORCE_SCOPES = ["api", "pardot_api", "refresh_token", "id", "openid"]
SALESFORCE_CONNECT_TIMEOUT = 5.0
SALESFORCE_READ_TIMEOUT = env_float("SALESFORCE_READ_TIMEOUT", 30)

SOCIALACCOUNT_PROVIDERS = {
    "salesforce": {
        "SCOPE": SALESFORCE_SCOPES,
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "client_id": SALESFORCE_CLIENT_ID,
                "secret": SALESFORCE_CLIENT_SECRET,
            }
        ],
    }
}

# Celery. Locally the broker is a folder under var/ (no server needed); in
# production CELERY_BROKER_URL points at Redis.

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
BROKER_FOLDER = VAR_DIR / "broker"
# Longer than any task's time limit plus its longest retry countdown, so Redis
# never hands a task that is still running or waiting to a second worker.
CELERY_VISIBILITY_TIMEOUT = 2 * 60 * 60
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("queue", "control"):
        (BROKER_FOLDER / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "polling_interval": 0.1,
    }
else:
    # Socket timeouts keep a web request that enqueues a task, and /healthz,
    # from hanging on a Redis that accepts connections but never answers.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep Django's logging (and its redaction filter) in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "activity.tasks.heartbeat", "schedule": 60.0},
    "resume-deferred-submissions": {
        "task": "activity.tasks.resume_deferred",
        "schedule": 60.0,
    },
    "sweep-submissions": {"task": "activity.tasks.sweep", "schedule": 60.0},
    # Drift between the console's mirror and each org's setup in Salesforce.
    "verify-setups": {
        "task": "setup_wizard.tasks.verify_all_orgs",
        "schedule": 60.0 * 60,
    },
    # Session-only Salesforce tokens whose owner's session expired unsigned-out.
    "drop-session-only-tokens": {
        "task": "salesforce.tasks.drop_session_only_tokens",
        "schedule": 5 * 60.0,
    },
}

# Sending activity. Account Engagement takes at most five requests at once
# per business unit; the console keeps that many slots per unit in the
# database, shared by every worker on every host. Transient failures retry
# after a random wait of up to base x 2^n seconds, capped; the tests shrink
# these through the environment.

ACTIVITY_MAX_IN_FLIGHT = 5
ACTIVITY_MAX_ATTEMPTS = env_int("ACTIVITY_MAX_ATTEMPTS", 8)
ACTIVITY_RETRY_BASE_SECONDS = env_float("ACTIVITY_RETRY_BASE_SECONDS", 2)
ACTIVITY_RETRY_CAP_SECONDS = env_float("ACTIVITY_RETRY_CAP_SECONDS", 300)
# A task with no free slot looks again for this long in the worker, then
# hands the worker back and is queued again within ACTIVITY_SLOT_WAIT_SECONDS.
ACTIVITY_SLOT_HOLD_SECONDS = env_float("ACTIVITY_SLOT_HOLD_SECONDS", 1)
ACTIVITY_SLOT_WAIT_SECONDS = env_float("ACTIVITY_SLOT_WAIT_SECONDS", 1)
# A send may take a token refresh and two POSTs, each bounded by the timeouts.
ACTIVITY_SEND_TIME_LIMIT = int(
    3 * (SALESFORCE_CONNECT_TIMEOUT + SALESFORCE_READ_TIMEOUT)
)
# A slot outlives the task that holds it, so a worker killed mid-call never
# frees a slot while its request may still be in flight.
ACTIVITY_SLOT_LEASE_SECONDS = ACTIVITY_SEND_TIME_LIMIT + 30
# A send whose answer was lost is looked up this long afterwards.
ACTIVITY_CHECK_DELAY_SECONDS = env_float("ACTIVITY_CHECK_DELAY_SECONDS", 30)

# Internationalisation

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE") or "UTC"
USE_I18N = True
USE_TZ = True

# Static files, served by WhiteNoise.

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security. Local runs are plain HTTP on 127.0.0.1; production is HTTPS only.

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logging: one line per event, with tokens, secrets and email addresses masked
# by the filter whatever logger the record comes from.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "salesforce.redaction.RedactingFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}
