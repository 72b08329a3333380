from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def customer_list(request):
    return HttpResponse("TODO")


@login_required
def quality(request):
    return HttpResponse("TODO")
