"""Middleware that applies the console's access and header rules to every request."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import JsonResponse

API_PREFIX = "/api/"
SALESFORCE_LOGIN_HOSTS = [
    "https://login.salesforce.com",
    "https://test.salesforce.com",
    "https://*.my.salesforce.com",
]

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "form-action 'self' %s",
        "frame-ancestors 'none'",
        "base-uri 'self'",
    ]
)


def _policy() -> str:
    # Read per response: the login host is a setting that tests (and a
    # reconfigured console) may change while the process runs.
    hosts = [*SALESFORCE_LOGIN_HOSTS, settings.SALESFORCE_LOGIN_URL.rstrip("/")]
    return CONTENT_SECURITY_POLICY % " ".join(filter(None, hosts))


class ConsoleLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every view needs a signed-in user unless marked ``login_not_required``.

    Browsers are sent to the sign-in page; API clients get a 401 in JSON,
    because a redirect to an HTML form means nothing to them.
    """

    def handle_no_permission(self, request, view_func):
        if request.path.startswith(API_PREFIX):
            return JsonResponse(
                {"error": "authentication_required", "message": "Sign in first."},
                status=401,
            )
        return super().handle_no_permission(request, view_func)


class SecurityHeadersMiddleware:
    """Adds the headers Django does not set itself: CSP and Permissions-Policy.

    Signing in with Salesforce posts a form that redirects to a Salesforce login
    host, and browsers apply ``form-action`` to that redirect too, so those hosts
    are allowed as form targets; nothing else leaves the console's own origin.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _policy())
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
