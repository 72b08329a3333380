"""Consumption pages of this app: metering-data import (upload, per-file report with progress) and the
printable usage-advice letter. The load, anomaly, forecast and analysis pages live in their own module."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from powerkam.core.scoping import get_visible_or_404
from powerkam.imports.readers import max_upload_bytes
from powerkam.imports.uploads import declared_too_large, limit_upload

from . import services
from .advice import usage_advice
from .forms import IngestForm
from .models import IngestBatch


def _require_ingest(user) -> None:
    if not services.can_ingest(user):
        raise PermissionDenied(_("You are not allowed to import data."))


def _index(request, form, status=200, refused=""):
    batches = IngestBatch.objects.filter(created_by=request.user).order_by("-created_at", "-id")
    page = Paginator(batches, 20).get_page(request.GET.get("page"))
    return render(request, "consumption/ingest.html", {
        "nav": "consumption", "form": form, "page": page, "refused": refused,
        "max_mb": max_upload_bytes() // (1024 * 1024)}, status=status)


@login_required
def ingest_index(request):
    _require_ingest(request.user)
    return _index(request, IngestForm())


@csrf_exempt  # the CSRF check would read the whole body before the size limit is in place (imports/uploads.py)
@login_required
@require_POST
def ingest_upload(request):
    _require_ingest(request.user)
    too_large = _("The file is larger than %(limit)s MB; split it into smaller files.") % {
        "limit": f"{max_upload_bytes() / 1048576:g}"}
    if declared_too_large(request):
        return _index(request, IngestForm(), status=400, refused=too_large)
    return _upload(request, limit_upload(request), too_large)


@csrf_protect
def _upload(request, limit, too_large):
    form = IngestForm(request.POST, request.FILES)
    if limit.exceeded:
        return _index(request, IngestForm(), status=400, refused=too_large)
    if not form.is_valid():
        return _index(request, form, status=400)
    d = form.cleaned_data
    batch = services.start_ingest(d["file"], d["file"].name, layout=d["layout"], actor=request.user,
                                  quantity=d["quantity"], already_multiplied=d["already_multiplied"])
    return redirect("consumption:batch", pk=batch.pk)


@login_required
def batch_detail(request, pk: int):
    _require_ingest(request.user)
    batch = get_object_or_404(IngestBatch.objects.select_related("created_by"), pk=pk, created_by=request.user)
    done, total = services.batch_progress(batch)
    context = {"nav": "consumption", "batch": batch, "done": done, "total": total,
               "percent": 100 if batch.status == IngestBatch.Status.DONE else (min(100, done * 100 // total) if total else 0),
               "more_errors": max(0, batch.error_count - len(batch.errors))}
    htmx = getattr(request, "htmx", None)
    template = "consumption/_batch.html" if htmx and not htmx.history_restore_request else "consumption/batch.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def advice_letter(request, customer_id: int):
    from powerkam.customers.models import Customer

    customer = get_visible_or_404(Customer.objects.select_related("org_unit"), request.user, pk=customer_id)
    advice = usage_advice(customer)
    return render(request, "consumption/advice.html", {
        "nav": "customers", "customer": customer, "advice": advice, "today": timezone.localdate()})


