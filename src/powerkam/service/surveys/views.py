"""Survey pages: the public one-time answer page (no login) and the staff pages."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import constants as c
from . import services

# --- public answer page (no login) -------------------------------------------------------------

LINK_PAGES = {
    # reason: (HTTP status, heading, message)
    "invalid": (404, gettext_lazy("This survey link is not valid"),
                gettext_lazy("The link is incomplete or has been altered. Please open the link exactly as you received it.")),
    "expired": (410, gettext_lazy("This survey link has expired"),
                gettext_lazy("The survey is closed. Thank you all the same; you can always reach your account manager.")),
    "used": (410, gettext_lazy("This survey has already been answered"),
             gettext_lazy("Each link can be answered once, and your answer is recorded. Thank you.")),
}


def _link_page(request, reason: str):
    status, heading, message = LINK_PAGES[reason]
    return render(request, "surveys/answer_done.html",
                  {"result": reason, "heading": heading, "message": message}, status=status)


def _questions(invitation, data: dict, errors: dict) -> list[dict]:
    items = [("overall", _("Overall satisfaction"), True)]
    if invitation.kind != c.Kind.EXIT:
        items += [(name, str(label), False) for name, label in c.ASPECTS]
    questions = []
    for name, label, required in items:
        try:
            value = int(data.get(name) or 0)
        except ValueError:
            value = 0
        questions.append({"name": name, "label": label, "required": required, "value": value,
                          "error": (errors.get(name) or [""])[0]})
    return questions


@never_cache
def answer(request, token: str):
    """The mobile survey page a customer opens from the e-mail or SMS link."""
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkError as exc:
        return _link_page(request, exc.reason)
    data: dict = {}
    errors: dict = {}
    if request.method == "POST":
        data = request.POST.dict()
        try:
            services.submit_response(token, data)
        except services.LinkError as exc:
            return _link_page(request, exc.reason)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return render(request, "surveys/answer_done.html", {
                "result": "thanks", "heading": _("Thank you for your answer"),
                "message": _("Your feedback goes straight to your account manager and helps us improve.")})
    context = {"invitation": invitation, "questions": _questions(invitation, data, errors),
               "scores": range(c.SCORE_MIN, c.SCORE_MAX + 1), "exit_reasons": c.ExitReason.choices,
               "data": data, "errors": errors}
    return render(request, "surveys/answer.html", context, status=400 if errors else 200)
