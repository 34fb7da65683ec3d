"""What a task did with one record (``Result``): the one shape of a record's outcome, from the
core records' answers (``_xero_record_answer``) up to the handlers' batches and the task's log."""

from typing import NamedTuple


class Result(NamedTuple):
    """What a task did with one record, for its log line; a batch's results are
    ``{record id: Result}`` (``xero.task.handler._send_batch``, written by ``_log_results``).

    ``outcome``: the log line's outcome (created, updated, linked, skipped, blocked, error; a
    PDF's ``pending``: tried again at the next step). ``xero_id``: the Xero object concerned.
    ``message``: why, or what Xero said.
    """

    outcome: str
    xero_id: str | None = None
    message: str | bool = False
