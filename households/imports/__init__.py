"""采集表 import, by stage: guard the upload (`guard`), read the two official sheets (`sheets`,
through a child process under memory and CPU limits, `bounded_read`), map rows to the registry
services' arguments and their errors back to cells (`rows`), validate into a preview and commit
all or nothing (`run`), and the import as a transfer job (`jobs`).

No registry rule is repeated here: every household goes through
households.services.register_households / update_household.
"""

from .error_workbook import error_file
from .guard import MAX_UPLOAD_BYTES, UploadRefused, check_upload
from .jobs import commit_import, run_import, start_import, validate_or_commit
from .run import ImportResult, import_file, import_rows
from .sheets import ParsedRow, SheetError, read_sheets

__all__ = [
    "MAX_UPLOAD_BYTES",
    "ImportResult",
    "ParsedRow",
    "SheetError",
    "UploadRefused",
    "check_upload",
    "commit_import",
    "error_file",
    "import_file",
    "import_rows",
    "read_sheets",
    "run_import",
    "start_import",
    "validate_or_commit",
]
