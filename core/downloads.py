"""File downloads that carry personal data: attachments that no browser or proxy keeps."""

from django.http import FileResponse


def private_download(handle, filename: str) -> FileResponse:
    """An xlsx with personal data as an attachment with `Cache-Control: no-store` (ASVS 14.3.2)."""
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response
