"""Two-step login cannot be skipped on any page or API call made with a session (issue #9 item 1).

After django-otp's OTPMiddleware: a session of an account with two-step login on that never gave
a code is ended (pages: back to the login page; API: 403); an account whose role must use two-step
login and whose grace period is over reaches only the account security page until it turns it on.
Token-authenticated API calls are checked by org.authentication with the same rule."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from . import two_factor

# Paths that stay reachable: logging in and out, switching language, the enrollment page itself.
OPEN_PATHS = ("/accounts/login/", "/accounts/logout/", "/i18n/", "/static/", "/favicon.ico")


def is_api(path: str) -> bool:
    return path.startswith("/api/")


class TwoStepMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(OPEN_PATHS):
            problem = two_factor.access_problem(user, verified=user.is_verified())
            if problem is not None:
                response = self.refuse(request, user, problem)
                if response is not None:
                    return response
        return self.get_response(request)

    def refuse(self, request, user, problem):
        message = two_factor.problem_message(problem, user)
        if problem == two_factor.ENROLL and request.path == reverse("org:security"):
            return None
        if is_api(request.path):
            return JsonResponse({"detail": message, "code": f"two_step_{problem}"}, status=403)
        if problem == two_factor.UNVERIFIED:
            two_factor.log.warning("session without two-step code refused user=%s path=%s",
                                   user.get_username(), request.path)
            logout(request)
            messages.warning(request, message)
            return self.go(request, redirect_to_login(request.get_full_path()))
        messages.warning(request, message)
        return self.go(request, redirect("org:security"))

    @staticmethod
    def go(request, response):
        # An htmx request would swap the target page into a fragment: make the browser go there.
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(response["Location"])
        return response
