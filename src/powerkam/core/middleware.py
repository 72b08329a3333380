"""The Content-Security-Policy header on every response (issue #9 item 9).

Pages load scripts only from our own static files — no inline <script>, no on*= attributes, no
eval — so an injected script tag or attribute does not run. Inline styles stay allowed: Bootstrap
components, htmx's indicator style and ECharts set them. The policy is `settings.POWERKAM_CSP`."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.POWERKAM_CSP
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
