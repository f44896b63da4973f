"""CSV and JSON imports of configuration items (SPEC 2.3, issue 5).

An upload is parsed (``files``) and every row checked as ``cmdb.services`` checks a CI, without
writing a CI (``rows``): the ``ImportJob`` keeps the file, the counts it would produce and each bad
row's errors (the preview). Once confirmed, ``cmdb.tasks.cmdb_import_task`` runs it (``jobs``) in
chunks: a handful of bulk queries per chunk, never one per row, and one audit event per changed
CI.

Rows match existing CIs by asset tag, else by name within the class, so importing the same file
twice changes nothing the second time. A ``strict`` import is all or nothing (one transaction);
a ``skip`` import saves the good rows chunk by chunk (a worker that dies resumes after the last
saved chunk) and reports the bad ones.
"""

from cmdb.importing.files import (
    column_help,
    decode,
    guess_format,
    max_bytes,
    max_rows,
    parse,
    read_upload,
    template_columns,
    template_csv,
    too_big_message,
)
from cmdb.importing.jobs import (
    TASK,
    import_confirm,
    import_preview,
    import_run,
    import_sample,
    job_progress,
    may_import,
)
from cmdb.importing.rows import AttributeCheck, Plan, Planner, chunk_rows

__all__ = [
    "TASK",
    "AttributeCheck",
    "Plan",
    "Planner",
    "chunk_rows",
    "column_help",
    "decode",
    "guess_format",
    "import_confirm",
    "import_preview",
    "import_run",
    "import_sample",
    "job_progress",
    "max_bytes",
    "max_rows",
    "may_import",
    "parse",
    "read_upload",
    "template_columns",
    "template_csv",
    "too_big_message",
]
