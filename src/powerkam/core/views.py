import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.http import require_POST
from rest_framework.exceptions import NotFound


@login_required
def home(request):
    """Where a login lands: read-only executives on the executive dashboard (issue #15), when the
    dashboard module is installed; everyone else on the customer list."""
    from django.urls import NoReverseMatch, reverse

    if request.user.is_read_only:
        try:
            return redirect(reverse("kpis:dashboard"))
        except NoReverseMatch:
            pass
    return redirect("customers:list")


@login_required
def protected_media(request, path: str):
    """Uploaded files (scanned contracts) are served only through the visibility scope."""
    from powerkam.core.scoping import scope_to_user
    from powerkam.customers.models import SupplyContract

    contract = scope_to_user(SupplyContract.objects.filter(scan=path), request.user).first()
    if contract is None:
        raise Http404
    full = (Path(settings.MEDIA_ROOT) / path).resolve()
    if not str(full).startswith(str(Path(settings.MEDIA_ROOT).resolve())) or not full.exists():
        raise Http404
    content_type = mimetypes.guess_type(full.name)[0] or "application/octet-stream"
    return FileResponse(full.open("rb"), content_type=content_type, filename=full.name)


# --- Work queue ("我的待办", issue #4 §1) ------------------------------------------------------

QUEUE_SCOPES = ("mine", "unit")


def _queue_queryset(request):
    """The tasks the page lists: the user's own, or (supervisors, admins) their unit's."""
    from django.db.models import Q

    from powerkam.org.models import COMPANY_ROLES, SUBTREE_ROLES

    from .models import Task
    from .scoping import subtree_unit_ids

    user = request.user
    scope = request.GET.get("scope") if request.GET.get("scope") in QUEUE_SCOPES else "mine"
    can_see_unit = user.is_superuser or user.role in COMPANY_ROLES or user.role in SUBTREE_ROLES
    if scope == "unit" and can_see_unit:
        qs = Task.objects.all()
        if not (user.is_superuser or user.role in COMPANY_ROLES):
            # The subtree's unit ids (one small query), not a join on org unit paths per task.
            units = subtree_unit_ids(user) if user.org_unit_id else []
            if units is not None:
                qs = qs.filter(org_unit_id__in=units)
    else:
        scope = "mine"
        qs = Task.objects.filter(assignee=user)
    params = {"scope": scope, "kind": request.GET.get("kind", ""), "status": request.GET.get("status", "open"),
              "overdue": request.GET.get("overdue", ""), "q": request.GET.get("q", "").strip()}
    if params["kind"] in Task.Kind.values:
        qs = qs.filter(kind=params["kind"])
    if params["status"] in Task.Status.values:
        qs = qs.filter(status=params["status"])
    if params["overdue"]:
        qs = qs.filter(status=Task.Status.OPEN, due_at__lt=timezone.now())
    if params["q"]:
        qs = qs.filter(Q(title__icontains=params["q"]) | Q(customer__name__icontains=params["q"])
                       | Q(customer__number=params["q"]))
    qs = qs.select_related("customer", "org_unit", "assignee").order_by("status", F("due_at").asc(nulls_last=True), "id")
    return qs, params, can_see_unit


def _decorate(tasks: list) -> list:
    """What each queue row shows, worked out once per page: choice labels from one map per field
    (Django's get_FOO_display rebuilds its map on every call), the two URLs by filling a pattern
    reversed once, and the overdue flag at one instant."""
    from django.urls import reverse

    from .models import Task

    kinds, statuses, priorities = (dict((k, str(v)) for k, v in choices) for choices in (
        Task.Kind.choices, Task.Status.choices, Task.Priority.choices))
    close_url = reverse("core:queue_close", args=[987654321])
    customer_url = reverse("customers:detail", args=[987654321])
    now = timezone.now()
    for t in tasks:
        t.kind_label = kinds.get(t.kind, t.kind)
        t.status_label = statuses.get(t.status, t.status)
        t.priority_label = priorities.get(t.priority, t.priority) if t.priority else ""
        t.close_url = close_url.replace("987654321", str(t.pk))
        t.customer_url = customer_url.replace("987654321", str(t.customer_id)) if t.customer_id else ""
        t.open_now = t.status == Task.Status.OPEN
        t.overdue_now = t.open_now and t.due_at is not None and t.due_at < now
        t.due_day = timezone.localdate(t.due_at) if t.due_at else None  # the phone agenda's day
    return tasks


@login_required
def queue(request):
    from django.core.paginator import Paginator
    from django.shortcuts import render

    from .models import Task

    qs, params, can_see_unit = _queue_queryset(request)
    fmt = request.GET.get("export")
    if fmt:
        from powerkam.imports.exports import FORMATS, Column, export_response

        if fmt not in FORMATS:
            raise Http404
        columns = [
            Column(_("kind"), lambda t: t.get_kind_display()),
            Column(_("title"), lambda t: t.display_title),
            Column(_("customer number"), lambda t: t.customer.number if t.customer_id else ""),
            Column(_("customer name"), lambda t: t.customer.name if t.customer_id else ""),
            Column(_("assignee"), lambda t: t.assignee.display_name),
            Column(_("due"), lambda t: timezone.localtime(t.due_at) if t.due_at else None),
            Column(_("due date provisional"), lambda t: _("Provisional") if t.due_at and t.due_is_provisional else ""),
            Column(_("status"), lambda t: t.get_status_display()),
            Column(_("closed at"), lambda t: timezone.localtime(t.closed_at) if t.closed_at else None),
            Column(_("result"), lambda t: t.result),
        ]
        return export_response(qs.iterator(chunk_size=2000), columns, fmt=fmt, filename="tasks")
    # Ids first: the page's 50 ids come from the ordering index alone (a deep page of a
    # company-wide queue skips thousands of index entries, not thousands of joined rows), then
    # only those rows are read with their customer, unit and assignee.
    page = Paginator(qs.values_list("id", flat=True), 50).get_page(request.GET.get("page"))
    rows = Task.objects.select_related("customer", "org_unit", "assignee").in_bulk(list(page.object_list))
    page.object_list = _decorate([rows[pk] for pk in page.object_list if pk in rows])
    page.elided_range = page.paginator.get_elided_page_range(page.number)
    context = {"nav": "queue", "page": page, "params": params, "can_see_unit": can_see_unit,
               "kinds": Task.Kind.choices, "statuses": Task.Status.choices, "now": timezone.now(),
               "target": "#queue-table"}
    template = "core/_queue_table.html" if request.htmx and not request.htmx.boosted else "core/queue.html"
    return render(request, template, context)


@login_required
@require_POST
def queue_close(request, pk: int):
    """Close one task: its assignee, or a supervisor/admin whose unit it belongs to."""
    from django.shortcuts import get_object_or_404, render

    from . import workqueue
    from .models import Task

    task = get_object_or_404(Task, pk=pk)
    user = request.user
    allowed = task.assignee_id == user.pk or user.is_superuser or user.role == "admin" or (
        user.role == "supervisor" and user.org_unit_id and task.org_unit_id
        and task.org_unit.path.startswith(user.org_unit.path))
    if not allowed or user.is_read_only:
        raise Http404
    status = Task.Status.CANCELLED if request.POST.get("status") == "cancelled" else Task.Status.DONE
    workqueue.close_task(task, by=user, result=request.POST.get("result", "").strip()[:2000], status=status)
    if request.htmx:
        return render(request, "core/_queue_row.html", {"task": _decorate([task])[0], "now": timezone.now()})
    return redirect("core:queue")


def not_found(request, exception=None):
    """A URL no route matches (handler404): under /api/ the JSON every other API error is
    (`{"detail": …}`), elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)
