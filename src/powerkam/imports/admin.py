from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "filename", "status", "total_rows", "created_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("filename", "created_by__username")
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
