"""Per-tenant call throttle for the Xero API: 60 calls a minute, 5 in flight (Xero's limits),
and the day's budget (5,000 calls; a reserve of it kept for urgent work).

A :class:`Throttle` asks its store whether a call may start; the decision itself is made in one
place, :class:`Window`, from the rows the store holds for the tenant (one row per call:
``started_at``, ``finished_at``). Two stores:

- :class:`MemoryStore`: one process (pure tests, scripts).
- :class:`PgThrottleStore`: a PostgreSQL table shared by every Odoo worker process; each decision
  runs in its own short transaction under ``pg_advisory_xact_lock`` for the tenant.

A row may carry ``remaining``: the ``X-MinLimit-Remaining`` Xero answered to that call, from
which :meth:`Throttle.calls_left` tells how many calls this minute still holds.

A row whose ``started_at`` lies in the future is a *pause mark*: no call of that tenant starts
before it. Pauses come from Xero's own answers (``X-MinLimit-Remaining: 0``, a 429 ...), see
:meth:`Throttle.observe` and :meth:`Throttle.pause`.

The day: the calls a tenant started since the day began (UTC midnight, as
:func:`next_day_pause` keeps Xero's day) are counted from the same rows (pause marks aside).
A throttle given a ``day_reserve`` (background work) starts no call that would leave fewer
than that many of the day's ``per_day`` calls: it raises :class:`DayReserveReached`, whose
``until`` is the next day's start.
"""

import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from .errors import XeroRateLimited
from .texts import _lt

MINUTE = 60.0
#: A call still "in flight" after this long belongs to a crashed worker: its slot frees itself
#: (in PostgreSQL at once: the slot remembers its session, which ends with its process).
STALE_AFTER = 300.0
#: Rows older than this are deleted.
KEEP_FOR = 86400.0
#: How often a call waiting for an in-flight slot looks again.
POLL = 0.1
#: Xero's calls a day per organisation (1,000 on its Starter app tier).
DAY_LIMIT = 5000
DAY = 86400.0


class RealClock:
    """Wall-clock time (``time.time`` / ``time.sleep``).

    ``real_waits``: a sleep costs its time (a cron worker that sleeps is a worker idle).
    """

    real_waits = True

    def time(self):
        """Current epoch seconds."""
        return time.time()

    def sleep(self, seconds):
        """Block for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock for tests: ``sleep`` advances the time at once instead of waiting.

    Thread-safe. ``sleeps`` records every requested sleep (for assertions).
    """

    real_waits = False

    def __init__(self, start=1_772_323_200.0):
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps = []

    def time(self):
        """Current virtual epoch seconds."""
        with self._lock:
            return self._now

    def sleep(self, seconds):
        """Advance the virtual time by ``seconds`` (and let other threads run)."""
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0)
        time.sleep(0)

    def advance(self, seconds):
        """Move the time forward without recording a sleep."""
        with self._lock:
            self._now += seconds

    def set(self, epoch):
        """Set the time."""
        with self._lock:
            self._now = float(epoch)


def day_start(now):
    """When the day of ``now`` began, as the throttle counts Xero's day (UTC midnight)."""
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    return datetime.combine(today, datetime.min.time(), timezone.utc).timestamp()


class DayReserveReached(XeroRateLimited):
    """A background call would dip into the day's calls kept for urgent work: ``until`` is
    when the next day starts (see :func:`next_day_pause`)."""

    def __init__(self, *, until, reserve=0):
        self.reserve = reserve
        super().__init__(
            _lt(
                "The last %(reserve)s of Xero's calls today are kept for urgent tasks; "
                "background calls resume after %(at)s.",
                reserve=reserve,
                at=datetime.fromtimestamp(float(until), tz=timezone.utc).strftime(
                    "%Y-%m-%d %H:%M UTC"
                ),
            ),
            until=until,
            problem="reserve",
        )


def next_day_pause(now):
    """When a call may be tried again after Xero said the day's calls are used up.

    The next UTC midnight (plus a minute), at most a day from now. If Xero's window ends later,
    the next call gets a 429 whose ``Retry-After`` gives the exact time.
    """
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), timezone.utc)
    return min(midnight.timestamp() + MINUTE, now + KEEP_FOR)


def _int_header(headers, name):
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def rate_headers(headers):
    """Xero's rate headers of a response as ``{"min_remaining", "day_remaining",
    "app_min_remaining"}`` (ints, or ``None`` when absent). Header names are case-insensitive.
    """
    lowered = {str(k).lower(): v for k, v in dict(headers or {}).items()}
    return {
        "min_remaining": _int_header(lowered, "x-minlimit-remaining"),
        "day_remaining": _int_header(lowered, "x-daylimit-remaining"),
        "app_min_remaining": _int_header(lowered, "x-appminlimit-remaining"),
    }


class Window:
    """The rule deciding whether a call may start; the only copy of it (both stores use it)."""

    #: How far back (seconds) a store must load rows for :meth:`wait`.
    horizon = STALE_AFTER

    def __init__(self, per_minute=60, concurrent=5):
        self.per_minute = per_minute
        self.concurrent = concurrent

    def wait(self, rows, now):
        """Return ``(seconds, problem)``: how long until a call may start, and why.

        :param rows: ``(started_at, finished_at)`` of the tenant's calls since ``now - horizon``
            (and pause marks, whose ``started_at`` is in the future).
        :return: ``(0, None)`` when the call may start now; else the wait and ``"minute"``,
            ``"day"`` (a pause of more than a minute) or ``"concurrent"``.
        """
        rows = list(rows)
        pause = max((started for started, _finished in rows if started > now), default=None)
        if pause is not None:
            wait = pause - now
            return wait, ("day" if wait > MINUTE else "minute")
        starts = sorted(started for started, _finished in rows if started > now - MINUTE)
        if len(starts) >= self.per_minute:
            # The window frees when enough of the oldest starts age past one minute.
            return starts[-self.per_minute] + MINUTE - now, "minute"
        in_flight = sum(
            1 for started, finished in rows if finished is None and started > now - STALE_AFTER
        )
        if in_flight >= self.concurrent:
            return POLL, "concurrent"
        return 0, None

    def calls_left(self, rows, now):
        """How many calls may still start this minute: ``per_minute`` less the starts of the
        last minute, at most what Xero last said was left less the calls started since; 0
        during a pause.

        :param rows: ``(started_at, remaining)`` of the tenant's calls since ``now - MINUTE``
            and its pause marks; ``remaining`` is ``None`` where Xero said nothing.
        """
        rows = [(started, remaining) for started, remaining in rows if started > now - MINUTE]
        if any(started > now for started, _remaining in rows):
            return 0
        starts = [started for started, _remaining in rows]
        left = self.per_minute - len(starts)
        seen = [(started, remaining) for started, remaining in rows if remaining is not None]
        if seen:
            last, remaining = max(seen)
            # Calls started since (a tie counts: a tenant's calls may start in the same instant).
            since = sum(1 for started in starts if started >= last) - 1
            left = min(left, remaining - since)
        return max(left, 0)


class MemoryStore:
    """Throttle rows in memory: shared by the threads of one process only."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rows = {}  # id -> [tenant_id, started_at, finished_at, remaining, is_call]
        self._next_id = 1

    def try_start(self, tenant_id, now, window):
        """Record a start and return ``(row_id, 0, None)`` if ``window`` allows it now,
        else ``(None, wait, problem)``."""
        with self._lock:
            since = now - window.horizon
            for row_id in [k for k, r in self._rows.items() if r[1] < now - KEEP_FOR]:
                del self._rows[row_id]
            rows = [(r[1], r[2]) for r in self._rows.values() if r[0] == tenant_id and r[1] > since]
            wait, problem = window.wait(rows, now)
            if wait > 0:
                return None, wait, problem
            row_id = self._insert(tenant_id, now, None, call=True)
            return row_id, 0, None

    def finish(self, row_id, now):
        """Mark the call ``row_id`` as finished."""
        with self._lock:
            if row_id in self._rows:
                self._rows[row_id][2] = now

    def pause(self, tenant_id, until):
        """No call of ``tenant_id`` starts before ``until``."""
        with self._lock:
            self._insert(tenant_id, until, until)

    def note_remaining(self, tenant_id, now, remaining):
        """Keep Xero's ``X-MinLimit-Remaining`` on the tenant's latest call started by ``now``."""
        with self._lock:
            rows = [r for r in self._rows.values() if r[0] == tenant_id and r[1] <= now]
            if rows:
                max(rows, key=lambda r: r[1])[3] = remaining

    def calls_left(self, tenant_id, now, window):
        """See :meth:`Window.calls_left`."""
        with self._lock:
            rows = [(r[1], r[3]) for r in self._rows.values() if r[0] == tenant_id]
        return window.calls_left(rows, now)

    def calls_since(self, tenant_id, since, now):
        """How many calls of ``tenant_id`` started from ``since`` to ``now`` (no pause mark)."""
        with self._lock:
            return sum(
                1
                for r in self._rows.values()
                if r[0] == tenant_id and r[4] and since <= r[1] <= now
            )

    def _insert(self, tenant_id, started_at, finished_at, call=False):
        row_id = self._next_id
        self._next_id += 1
        self._rows[row_id] = [tenant_id, started_at, finished_at, None, call]
        return row_id


class PgThrottleStore:
    """Throttle rows in a PostgreSQL table, shared by every process using the database.

    :param cursor_factory: callable returning a context manager that yields a DB-API cursor and
        commits its transaction at exit (Odoo: ``registry.cursor``; never the request's cursor,
        whose rows other workers would not see before it commits).
    :param table: table name (Odoo model ``xero.rate.call`` -> ``xero_rate_call``).
    """

    DDL_TEMPLATE = (
        "CREATE TABLE IF NOT EXISTS {table} (id serial PRIMARY KEY, tenant_id varchar, "
        "started_at double precision, finished_at double precision, remaining integer, "
        "backend_pid integer); "
        "CREATE INDEX IF NOT EXISTS {table}_tenant_started_idx ON {table} (tenant_id, started_at)"
    )
    #: DDL of the default table (Odoo creates it from the ``xero.rate.call`` model instead).
    DDL = DDL_TEMPLATE.format(table="xero_rate_call")

    def __init__(self, cursor_factory, table="xero_rate_call"):
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
            raise ValueError("invalid table name %r" % table)
        self._cursor_factory = cursor_factory
        self.table = table
        self.ddl = self.DDL_TEMPLATE.format(table=table)

    def create_table(self):
        """Create the table if missing (tests and scripts; Odoo has its model)."""
        with self._cursor_factory() as cr:
            cr.execute(self.ddl)

    def try_start(self, tenant_id, now, window):
        """Record a start and return ``(row_id, 0, None)`` if ``window`` allows it now,
        else ``(None, wait, problem)``. One short transaction, serialised per tenant."""
        table = self.table
        with self._cursor_factory() as cr:
            cr.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", ("%s:%s" % (table, tenant_id),)
            )
            # A call whose database session is gone (its worker was killed) is not in flight
            # any more: it counts as ended when it started (Xero counted its start).
            cr.execute(
                f"SELECT started_at, CASE WHEN finished_at IS NULL AND backend_pid IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = backend_pid) "
                f"THEN started_at ELSE finished_at END FROM {table} "
                "WHERE tenant_id = %s AND started_at > %s",
                (tenant_id, now - window.horizon),
            )
            wait, problem = window.wait(cr.fetchall(), now)
            if wait > 0:
                return None, wait, problem
            cr.execute(
                f"INSERT INTO {table} (tenant_id, started_at, backend_pid) "
                "VALUES (%s, %s, pg_backend_pid()) RETURNING id",
                (tenant_id, now),
            )
            row_id = cr.fetchone()[0]
            cr.execute(
                f"DELETE FROM {table} WHERE tenant_id = %s AND started_at < %s",
                (tenant_id, now - KEEP_FOR),
            )
            return row_id, 0, None

    def finish(self, row_id, now):
        """Mark the call ``row_id`` as finished."""
        with self._cursor_factory() as cr:
            cr.execute(f"UPDATE {self.table} SET finished_at = %s WHERE id = %s", (now, row_id))

    def pause(self, tenant_id, until):
        """No call of ``tenant_id`` starts before ``until`` (seen by every process)."""
        with self._cursor_factory() as cr:
            cr.execute(
                f"INSERT INTO {self.table} (tenant_id, started_at, finished_at) "
                "VALUES (%s, %s, %s)",
                (tenant_id, until, until),
            )

    def note_remaining(self, tenant_id, now, remaining):
        """Keep Xero's ``X-MinLimit-Remaining`` on the tenant's latest call started by ``now``."""
        table = self.table
        with self._cursor_factory() as cr:
            cr.execute(
                f"UPDATE {table} SET remaining = %s WHERE id = (SELECT id FROM {table} "
                "WHERE tenant_id = %s AND started_at <= %s ORDER BY started_at DESC, id DESC "
                "LIMIT 1)",
                (remaining, tenant_id, now),
            )

    def calls_left(self, tenant_id, now, window):
        """See :meth:`Window.calls_left`."""
        with self._cursor_factory() as cr:
            cr.execute(
                f"SELECT started_at, remaining FROM {self.table} "
                "WHERE tenant_id = %s AND started_at > %s",
                (tenant_id, now - MINUTE),
            )
            rows = cr.fetchall()
        return window.calls_left(rows, now)

    def calls_since(self, tenant_id, since, now):
        """How many calls of ``tenant_id`` started from ``since`` to ``now``: rows with the
        session that started them (a pause mark has none)."""
        with self._cursor_factory() as cr:
            cr.execute(
                f"SELECT count(*) FROM {self.table} WHERE tenant_id = %s AND started_at >= %s "
                "AND started_at <= %s AND backend_pid IS NOT NULL",
                (tenant_id, since, now),
            )
            return cr.fetchone()[0]


class Throttle:
    """Keeps the calls of each tenant under ``per_minute`` starts a minute and ``concurrent``
    in flight, and honours the pauses Xero asks for.

    :param store: :class:`MemoryStore` or :class:`PgThrottleStore`.
    :param clock: :class:`RealClock` (default) or :class:`VirtualClock`.
    :param max_wait: longest wait (seconds) :meth:`slot` blocks for; a longer one raises
        :class:`~.errors.XeroRateLimited` so the caller can resume later.
    :param per_day: the tenant's calls a day (default :data:`DAY_LIMIT`).
    :param day_reserve: calls of the day no call through this throttle may dip into (the
        reserve kept for urgent work; 0: the whole day); see :class:`DayReserveReached`.

    ``yield_after`` and ``should_yield`` (a callable), when set: a wait longer than
    ``yield_after`` seconds raises :class:`~.errors.XeroRateLimited` when ``should_yield()``
    says so (a cron worker that other work waits for gives it back instead of sleeping); the
    wait is slept ``yield_after`` at a time, asking again each time.
    """

    def __init__(
        self,
        store,
        clock=None,
        per_minute=60,
        concurrent=5,
        max_wait=60,
        per_day=None,
        day_reserve=0,
    ):
        self.store = store
        self.clock = clock or RealClock()
        self.window = Window(per_minute, concurrent)
        self.max_wait = max_wait
        self.per_day = per_day or DAY_LIMIT
        self.day_reserve = day_reserve
        self.yield_after = None
        self.should_yield = None

    @contextmanager
    def slot(self, tenant_id, max_wait=None):
        """Context manager around one call: blocks (through the clock) until the call may start,
        records the start, and records the end at exit.

        :raises XeroRateLimited: when the wait would exceed ``max_wait`` (default: the
            throttle's), e.g. during a day-limit pause.
        """
        row_id = self.acquire(tenant_id, max_wait)
        try:
            yield
        finally:
            self.store.finish(row_id, self.clock.time())

    def acquire(self, tenant_id, max_wait=None):
        """Wait until a call may start, record it and return its row id (see :meth:`slot`)."""
        max_wait = self.max_wait if max_wait is None else max_wait
        if self.day_reserve:
            now = self.clock.time()
            if self.day_left(tenant_id) <= self.day_reserve:
                raise DayReserveReached(until=next_day_pause(now), reserve=self.day_reserve)
        while True:
            now = self.clock.time()
            row_id, wait, problem = self.store.try_start(tenant_id, now, self.window)
            if row_id is not None:
                return row_id
            if wait > max_wait or self._yields(wait):
                raise XeroRateLimited(until=now + wait, problem=problem)
            if self.yield_after is not None and self.should_yield is not None:
                # Another dealer may come to need the worker before this wait ends: look
                # again at every ``yield_after`` rather than sleep it all on one look.
                wait = min(wait, max(self.yield_after, POLL))
            self.clock.sleep(wait)

    def _yields(self, wait):
        """Whether a wait of ``wait`` seconds is given back (see ``yield_after``)."""
        return (
            self.yield_after is not None
            and wait > self.yield_after
            and self.should_yield is not None
            and bool(self.should_yield())
        )

    def observe(self, tenant_id, headers):
        """Learn from the rate headers of a Xero response (success or error).

        ``X-MinLimit-Remaining`` (or ``X-AppMinLimit-Remaining``) at 0: the next call waits a
        minute. ``X-DayLimit-Remaining`` at 0: a pause until :func:`next_day_pause`, so the
        next :meth:`slot` raises :class:`~.errors.XeroRateLimited`. Answers with ``Retry-After``
        (429s) add no pause here: the caller pauses for exactly that long. This method never
        raises, so the answer of the call that was just made is not lost.

        :return: the parsed headers, see :func:`rate_headers`.
        """
        rates = rate_headers(headers)
        if any(str(key).lower() == "retry-after" for key in dict(headers or {})):
            # A 429: the caller pauses for exactly Retry-After (see :meth:`pause`).
            return rates
        now = self.clock.time()
        if rates["min_remaining"] is not None:
            self.store.note_remaining(tenant_id, now, rates["min_remaining"])
        if rates["day_remaining"] == 0:
            self.store.pause(tenant_id, next_day_pause(now))
        elif rates["min_remaining"] == 0 or rates["app_min_remaining"] == 0:
            self.store.pause(tenant_id, now + MINUTE)
        return rates

    def pause(self, tenant_id, until):
        """Make every process wait until ``until`` before the next call of ``tenant_id``."""
        self.store.pause(tenant_id, until)

    def calls_left(self, tenant_id):
        """Calls ``tenant_id`` may still start this minute without waiting (at least 0): the
        throttle's own count, lowered by Xero's last ``X-MinLimit-Remaining``."""
        return self.store.calls_left(tenant_id, self.clock.time(), self.window)

    def day_used(self, tenant_id):
        """Calls ``tenant_id`` started since the day began (see :func:`day_start`)."""
        now = self.clock.time()
        return self.store.calls_since(tenant_id, day_start(now), now)

    def day_left(self, tenant_id):
        """Calls left in ``tenant_id``'s day (at least 0): ``per_day`` less :meth:`day_used`."""
        return max(self.per_day - self.day_used(tenant_id), 0)
