"""The API's authentication classes with the two-step login rule (org.two_factor.access_problem):
a token is issued only with the code, so a token user counts as verified; a session counts as
verified when it gave the code (django-otp). Refusals are 403 with the reason."""

from rest_framework import authentication, exceptions

from . import two_factor


def _check(user, *, verified: bool) -> None:
    problem = two_factor.access_problem(user, verified=verified)
    if problem is not None:
        raise exceptions.PermissionDenied(two_factor.problem_message(problem, user), code=f"two_step_{problem}")


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            user = request._request.user
            _check(result[0], verified=bool(getattr(user, "is_verified", lambda: False)()))
        return result


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        _check(user, verified=True)
        return user, token
