"""The upload size limit, enforced while the request body is read (issue #9 item 6).

Django reads a multipart body as soon as anything touches request.POST or request.FILES — the
CSRF check does, before the view runs — and stores file parts of any size in a temporary file.
So the import views refuse an oversized body from its declared length before it is read, and
read the rest through LimitedUploadHandler, which stops reading once a file passes the limit:
no more than the limit is ever read or stored, whatever the request says about itself."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .readers import max_upload_bytes

MULTIPART_SLACK = 64 * 1024  # the form's other fields and part headers


class LimitedUploadHandler(FileUploadHandler):
    """First of the request's upload handlers: passes the data on until a file passes `limit` bytes."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)  # stop reading the body: nothing more is stored
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the file


def declared_too_large(request) -> bool:
    """The body's declared length is over the limit: refused before a byte of it is read."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > max_upload_bytes() + MULTIPART_SLACK


def limit_upload(request) -> LimitedUploadHandler:
    """Install the limit on a request whose body has not been read yet; returns the handler to ask
    `exceeded` once the form was read."""
    handler = LimitedUploadHandler(request)
    request.upload_handlers.insert(0, handler)
    return handler
