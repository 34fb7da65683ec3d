"""The installed wkhtmltopdf: whether one run can render several invoices, and several runs at
once when it cannot (``account_move_pdf.py`` decides which).

Odoo renders several records in one wkhtmltopdf run and splits the PDF per record by the
outlines wkhtmltopdf writes (``ir.actions.report._render_qweb_pdf_prepare_streams``). Only a
build on wkhtmltopdf's patched Qt can: ``wkhtmltopdf --version`` then says "with patched qt".
An unpatched build (Debian's 0.12.6) prints several HTML documents into no PDF at all: it exits
with code 1 ("due to unknown error") and an empty file, which Odoo accepts (codes 0 and 1) and
then cannot read or split. It ignores ``--header-html`` and ``--footer-html`` too. One document
a run is what it can do; most of such a run's time is wkhtmltopdf waiting for the page's
scripts (``--javascript-delay``: Odoo's ``report.print_delay``, 1,000 ms by default), not
working, so runs side by side finish about as fast as one.
"""

import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import lxml.html

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin, _split_table

#: wkhtmltopdf processes run at once for one step's PDFs: each mostly waits for the page's
#: script delay, so a few at once keep two cores busy without queueing on them.
PDF_PROCESSES = 4

_BATCHES = {}  # wkhtmltopdf binary -> whether one run renders several documents


def renders_several_per_run():
    """Whether the installed wkhtmltopdf is built on patched Qt (asked once per process)."""
    binary = _get_wkhtmltopdf_bin()
    if binary not in _BATCHES:
        try:
            answer = subprocess.run(
                [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
            )
            _BATCHES[binary] = bool(re.search(r"with patched qt", answer.stdout, re.IGNORECASE))
        except (OSError, subprocess.SubprocessError):
            _BATCHES[binary] = False
    return _BATCHES[binary]


def render_each(jobs):
    """One wkhtmltopdf run per job, ``PDF_PROCESSES`` at once: ``{key: PDF bytes, or the
    exception that kept it from being made}`` for ``jobs`` (``{key: (command_args, HTML body,
    header, footer)}``).

    ``command_args`` are Odoo's (``ir.actions.report._build_wkhtmltopdf_args``); the run is
    Odoo's own (``_run_wkhtmltopdf``: header and footer files, the body, exit codes 0 and 1
    taken as success), without the session cookie Odoo passes when it renders within a web
    request (a task renders in its runner's cron). Nothing here touches the database: the
    threads only write files, run processes and read files.
    """
    binary = _get_wkhtmltopdf_bin()
    with tempfile.TemporaryDirectory(prefix="xero_pdf.") as folder:

        def write(name, html):
            path = os.path.join(folder, name)
            with open(path, "wb") as out:
                if len(html) < 4 * 1024 * 1024:
                    out.write(html.encode())
                else:  # as Odoo does: wkhtmltopdf is slow on tables of many rows
                    tree = lxml.html.fromstring(html)
                    _split_table(tree, 500)
                    out.write(lxml.html.tostring(tree))
            return path

        def run(number, command_args, body, header, footer):
            command = [binary, *command_args]
            if header:
                command += ["--header-html", write("header.%d.html" % number, header)]
            if footer:
                command += ["--footer-html", write("footer.%d.html" % number, footer)]
            target = os.path.join(folder, "report.%d.pdf" % number)
            command += [write("body.%d.html" % number, body), target]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode not in (0, 1):
                raise RuntimeError(
                    "wkhtmltopdf failed (error code: %s): %s"
                    % (done.returncode, done.stderr[-1000:])
                )
            with open(target, "rb") as pdf:
                return pdf.read()

        keys = list(jobs)
        results = {}
        with ThreadPoolExecutor(max_workers=max(1, min(PDF_PROCESSES, len(keys)))) as pool:
            futures = [pool.submit(run, n, *jobs[key]) for n, key in enumerate(keys)]
            for key, future in zip(keys, futures, strict=True):
                try:
                    results[key] = future.result()
                except Exception as exc:  # kept for the invoice's log line
                    results[key] = exc
        return results
