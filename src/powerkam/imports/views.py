"""Import pages: choose a kind, download its template, upload → dry run → commit."""

from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from . import services
from .forms import ImportForm
from .models import ImportJob
from .readers import max_rows, max_upload_bytes
from .registry import all_kinds, is_kind
from .uploads import declared_too_large, limit_upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 20


def _require_import(user) -> None:
    if not user.can_import:
        raise PermissionDenied(_("You are not allowed to import data."))


def _own_job(request, pk: int) -> ImportJob:
    """Import jobs are private to the person who started them."""
    _require_import(request.user)
    return get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk, created_by=request.user)


def _index_context(request, form: ImportForm) -> dict:
    return {
        "nav": "imports", "form": form, "kinds": all_kinds(),
        "jobs": ImportJob.objects.filter(created_by=request.user)[:RECENT_JOBS],
        "max_mb": max_upload_bytes() // (1024 * 1024), "max_rows": max_rows(),
    }


@login_required
def index(request):
    _require_import(request.user)
    return render(request, "imports/index.html", _index_context(request, ImportForm()))


def _too_large(request):
    context = _index_context(request, ImportForm())
    context["refused"] = _("The file is larger than %(limit)s MB; split it into smaller files.") % {
        "limit": f"{max_upload_bytes() / 1048576:g}"}
    return render(request, "imports/index.html", context, status=400)


@csrf_exempt  # the CSRF check would read the whole body before the limit is in place: csrf_protect below
@login_required
@require_POST
def upload(request):
    _require_import(request.user)
    # Refuse an oversized body from its declared length, before the file is stored or parsed; read
    # the rest no further than the limit (uploads.py).
    if declared_too_large(request):
        return _too_large(request)
    limit = limit_upload(request)
    return _upload(request, limit)


@csrf_protect
def _upload(request, limit):
    form = ImportForm(request.POST, request.FILES)
    if limit.exceeded:
        return _too_large(request)
    if not form.is_valid():
        return render(request, "imports/index.html", _index_context(request, form), status=400)
    uploaded = form.cleaned_data["file"]
    job = services.start_import(form.cleaned_data["kind"], uploaded, uploaded.name, actor=request.user,
                                dry_run=True)
    return redirect("imports:job", pk=job.pk)


def _job_context(job: ImportJob) -> dict:
    done, total = services.job_progress(job)
    summary = job.summary or {}
    return {
        "nav": "imports", "job": job, "summary": summary, "done": done, "total": total,
        "percent": min(100, done * 100 // total) if total else 0,
        "errors": summary.get("errors", []),
        "more_errors": max(0, job.error_count - len(summary.get("errors", []))),
    }


@login_required
def job_detail(request, pk: int):
    job = services.recover_if_lost(_own_job(request, pk))
    return render(request, "imports/job.html", _job_context(job))


@login_required
def job_progress_partial(request, pk: int):
    """Polled by htmx every second while the job runs; reloads the page once it has finished."""
    job = services.recover_if_lost(_own_job(request, pk))
    if not job.is_running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/_progress.html", _job_context(job))


@login_required
@require_POST
def commit(request, pk: int):
    job = _own_job(request, pk)
    try:
        job = services.commit_import(job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:job", pk=job.pk)
    if job.status == ImportJob.Status.DONE:
        messages.success(request, _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                         % {k: job.summary.get(k, 0) for k in ("created", "updated", "unchanged")})
    return redirect("imports:job", pk=job.pk)


@login_required
@require_POST
def retry(request, pk: int):
    """Run a failed job again from its stored upload (a new job)."""
    job = _own_job(request, pk)
    try:
        again = services.retry_import(job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:job", pk=job.pk)
    return redirect("imports:job", pk=again.pk)


@login_required
def error_report(request, pk: int):
    job = _own_job(request, pk)
    if not job.error_report:
        raise Http404
    stem = PurePath(job.filename).stem or "import"
    return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"{stem}-errors.xlsx",
                        content_type=XLSX)


@login_required
def template(request, kind: str):
    _require_import(request.user)
    if not is_kind(kind):
        raise Http404
    response = HttpResponse(services.template_xlsx(kind), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="powerkam-{kind}-template.xlsx"'
    return response
