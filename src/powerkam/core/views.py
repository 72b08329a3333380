import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect


@login_required
def home(request):
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
