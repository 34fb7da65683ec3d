"""Throttle: the per-tenant window (60 starts a minute, 5 in flight), pauses, both stores."""

import threading
import time
from contextlib import contextmanager

import pytest
from xero_api.errors import XeroRateLimited
from xero_api.throttle import (
    MINUTE,
    STALE_AFTER,
    DayReserveReached,
    MemoryStore,
    PgThrottleStore,
    RealClock,
    Throttle,
    VirtualClock,
    Window,
    next_day_pause,
    rate_headers,
)

TENANT = "00000000-0000-4000-8000-000000000001"
OTHER = "00000000-0000-4000-8000-000000000002"


def max_starts_per_minute(starts):
    """Largest number of starts in any 60 s window ending at a start."""
    starts = sorted(starts)
    return max(sum(1 for t in starts if s - MINUTE < t <= s) for s in starts)


def run_calls(throttle, clock, count, tenant=TENANT, duration=0.2):
    starts = []
    for _ in range(count):
        with throttle.slot(tenant):
            starts.append(clock.time())
            clock.advance(duration)
    return starts


# -- the window rule --------------------------------------------------------------------------


def test_window_rule():
    window = Window(per_minute=3, concurrent=2)
    now = 1000.0
    assert window.wait([], now) == (0, None)
    # Three starts in the last minute: wait until the oldest is a minute old.
    rows = [(950.0, 951.0), (960.0, 961.0), (970.0, 971.0)]
    assert window.wait(rows, now) == (pytest.approx(10.0), "minute")
    # Older starts do not count.
    assert window.wait([(900.0, 901.0)] * 5, now) == (0, None)
    # Two in flight: poll until one finishes; a stale one (crashed worker) frees itself.
    wait, problem = window.wait([(999.0, None), (998.0, None)], now)
    assert problem == "concurrent" and 0 < wait < 1
    assert window.wait([(999.0, None), (now - STALE_AFTER - 1, None)], now) == (0, None)
    # A pause mark (a row in the future) blocks; a long one is a day-limit pause.
    assert window.wait([(now + 30, now + 30)], now) == (30, "minute")
    assert window.wait([(now + 3600, now + 3600)], now) == (3600, "day")


def test_rate_headers_and_day_pause():
    headers = {"X-MinLimit-Remaining": "0", "x-daylimit-remaining": "4321", "Other": "x"}
    assert rate_headers(headers) == {
        "min_remaining": 0,
        "day_remaining": 4321,
        "app_min_remaining": None,
    }
    assert rate_headers(None)["min_remaining"] is None
    # 2026-03-01 10:00 UTC -> the next midnight plus a minute.
    now = 1772359200.0
    assert next_day_pause(now) == 1772409600.0 + MINUTE


# -- MemoryStore ------------------------------------------------------------------------------


def test_200_calls_never_exceed_60_a_minute():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock)
    t0 = clock.time()
    starts = run_calls(throttle, clock, 200)
    assert len(starts) == 200
    assert max_starts_per_minute(starts) == 60
    # It waits only as long as needed: 200 calls fit in a little over three minutes.
    assert 180 <= clock.time() - t0 < 190
    assert all(0 < s <= 60 for s in clock.sleeps)


def test_tenants_have_separate_windows():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock, per_minute=5)
    run_calls(throttle, clock, 5, tenant=TENANT, duration=0)
    run_calls(throttle, clock, 5, tenant=OTHER, duration=0)
    assert clock.sleeps == []
    run_calls(throttle, clock, 1, tenant=TENANT, duration=0)
    assert clock.sleeps == [pytest.approx(60.0)]


def test_five_in_flight_with_threads():
    throttle = Throttle(MemoryStore(), RealClock())
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "done": 0}

    def worker():
        with throttle.slot(TENANT):
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            time.sleep(0.05)
            with lock:
                state["now"] -= 1
                state["done"] += 1

    threads = [threading.Thread(target=worker) for _ in range(15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert state["done"] == 15
    assert state["max"] == 5


def test_observe_minute_limit_pauses_next_call():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock)
    rates = throttle.observe(TENANT, {"X-MinLimit-Remaining": "0", "X-DayLimit-Remaining": "10"})
    assert rates["min_remaining"] == 0
    run_calls(throttle, clock, 1)
    assert clock.sleeps == [pytest.approx(60.0)]


def test_a_wait_that_may_be_given_back_asks_again_as_it_goes():
    """A runner that may give its worker back (``yield_after``) does not sleep out the whole
    minute on one look: it sleeps ``yield_after`` at a time and gives the wait back as soon as
    another dealer needs the worker; alone, it waits the minute out."""
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock)
    start = clock.time()
    throttle.observe(TENANT, {"X-MinLimit-Remaining": "0"})
    asked = []
    throttle.yield_after = 3.0
    throttle.should_yield = lambda: asked.append(clock.time()) or len(asked) > 2
    with pytest.raises(XeroRateLimited) as limited:
        throttle.acquire(TENANT)
    assert clock.sleeps == [3.0, 3.0], "asked at the start, then every 3 s"
    assert limited.value.until == pytest.approx(start + 60.0)
    throttle.should_yield = lambda: False
    clock.sleeps.clear()
    run_calls(throttle, clock, 1)
    assert sum(clock.sleeps) == pytest.approx(60.0 - 6.0)
    assert max(clock.sleeps) == 3.0


def test_observe_day_limit_makes_slot_raise():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock)
    throttle.observe(TENANT, {"X-MinLimit-Remaining": "50", "X-DayLimit-Remaining": "0"})
    with pytest.raises(XeroRateLimited) as info, throttle.slot(TENANT):
        pass
    assert info.value.problem == "day"
    assert info.value.until == next_day_pause(clock.time())
    assert "daily" in info.value.user_message()
    # Other tenants are not affected.
    with throttle.slot(OTHER):
        pass


def test_slot_released_on_error():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock, concurrent=1)
    with pytest.raises(RuntimeError), throttle.slot(TENANT):
        raise RuntimeError("boom")
    with throttle.slot(TENANT):  # would wait forever if the slot were still taken
        pass
    assert clock.sleeps == []


# -- PgThrottleStore --------------------------------------------------------------------------

psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=root connect_timeout=3"


class PgCursors:
    """``cursor_factory`` for tests: one psycopg2 connection, a transaction per use."""

    def __init__(self):
        self.connection = psycopg2.connect(PG_DSN)

    @contextmanager
    def __call__(self):
        cursor = self.connection.cursor()
        try:
            yield cursor
            self.connection.commit()
        except BaseException:
            self.connection.rollback()
            raise
        finally:
            cursor.close()

    def close(self):
        self.connection.close()


@pytest.fixture
def pg_table():
    """A fresh throttle table; yields ``make_store()`` (a store on its own connection)."""
    try:
        admin = PgCursors()
    except psycopg2.OperationalError as exc:
        pytest.skip("PostgreSQL unreachable (127.0.0.1:5432, db test, user root): %s" % exc)
    table = "xero_rate_call_test_%d" % threading.get_ident()
    opened = [admin]
    with admin() as cr:
        cr.execute("DROP TABLE IF EXISTS %s" % table)
    PgThrottleStore(admin, table=table).create_table()

    def make_store():
        cursors = PgCursors()
        opened.append(cursors)
        return PgThrottleStore(cursors, table=table)

    make_store.table = table
    make_store.admin = admin
    yield make_store
    with admin() as cr:
        cr.execute("DROP TABLE IF EXISTS %s" % table)
    for cursors in opened:
        cursors.close()


def test_pg_ddl_default_table():
    assert "CREATE TABLE IF NOT EXISTS xero_rate_call " in PgThrottleStore.DDL
    with pytest.raises(ValueError):
        PgThrottleStore(lambda: None, table="x; DROP TABLE y")


def test_pg_two_stores_share_the_window(pg_table):
    clock = VirtualClock()
    first = Throttle(pg_table(), clock)
    second = Throttle(pg_table(), clock)
    starts = []
    for index in range(130):
        throttle = first if index % 2 else second
        with throttle.slot(TENANT):
            starts.append(clock.time())
            clock.advance(0.1)
    assert max_starts_per_minute(starts) == 60
    assert any(s > 30 for s in clock.sleeps)
    with pg_table.admin() as cr:
        cr.execute(
            "SELECT count(*), count(finished_at) FROM %s WHERE tenant_id = %%s" % pg_table.table,
            (TENANT,),
        )
        assert cr.fetchone() == (130, 130)


def test_pg_pause_seen_by_other_store(pg_table):
    clock = VirtualClock()
    first = Throttle(pg_table(), clock)
    second = Throttle(pg_table(), clock)
    first.observe(TENANT, {"X-DayLimit-Remaining": "0"})
    with pytest.raises(XeroRateLimited), second.slot(TENANT):
        pass
    first.observe(OTHER, {"X-MinLimit-Remaining": "0"})
    with second.slot(OTHER):
        pass
    assert clock.sleeps == [pytest.approx(60.0)]


def test_pg_stale_in_flight_row_frees_itself(pg_table):
    clock = VirtualClock()
    store = pg_table()
    throttle = Throttle(store, clock, concurrent=1)
    throttle.acquire(TENANT)  # a worker that crashed: never finished
    clock.advance(STALE_AFTER - 1)
    with pytest.raises(XeroRateLimited) as info, throttle.slot(TENANT, max_wait=0):
        pass
    assert info.value.problem == "concurrent"
    clock.advance(2)
    with throttle.slot(TENANT, max_wait=0):
        pass


def test_pg_old_rows_are_deleted(pg_table):
    clock = VirtualClock()
    throttle = Throttle(pg_table(), clock)
    run_calls(throttle, clock, 3)
    clock.advance(2 * 86400)
    run_calls(throttle, clock, 1)
    with pg_table.admin() as cr:
        cr.execute("SELECT count(*) FROM %s" % pg_table.table)
        assert cr.fetchone()[0] == 1


def test_pg_five_in_flight_across_connections(pg_table):
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "done": 0}
    stores = [pg_table() for _ in range(12)]

    def worker(store):
        with Throttle(store, RealClock()).slot(TENANT):
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            time.sleep(0.1)
            with lock:
                state["now"] -= 1
                state["done"] += 1

    threads = [threading.Thread(target=worker, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert state["done"] == 12
    assert state["max"] == 5


# -- calls left this minute -------------------------------------------------------------------


def test_window_calls_left():
    window = Window(per_minute=10)
    now = 1000.0
    assert window.calls_left([], now) == 10
    # Our own count: three starts in the last minute, one older.
    assert window.calls_left([(950.0, None), (960.0, None), (970.0, None), (900.0, 3)], now) == 7
    # Xero said 4 were left after the call of 960: less the one started since.
    assert window.calls_left([(950.0, None), (960.0, 4), (970.0, None)], now) == 3
    # A pause mark: nothing is left.
    assert window.calls_left([(now + 30, None)], now) == 0


def test_calls_left_follows_xero_headers():
    clock = VirtualClock()
    throttle = Throttle(MemoryStore(), clock)
    assert throttle.calls_left(TENANT) == 60
    with throttle.slot(TENANT):
        pass
    throttle.observe(TENANT, {"X-MinLimit-Remaining": "9"})
    assert throttle.calls_left(TENANT) == 9
    with throttle.slot(TENANT):
        pass
    assert throttle.calls_left(TENANT) == 8
    assert throttle.calls_left(OTHER) == 60
    clock.advance(MINUTE + 1)
    assert throttle.calls_left(TENANT) == 60
    throttle.observe(TENANT, {"X-MinLimit-Remaining": "0"})
    assert throttle.calls_left(TENANT) == 0


def test_calls_left_shared_through_postgres(pg_table):
    clock = VirtualClock()
    first = Throttle(pg_table(), clock)
    second = Throttle(pg_table(), clock)
    with first.slot(TENANT):
        pass
    first.observe(TENANT, {"X-MinLimit-Remaining": "5"})
    with second.slot(TENANT):
        pass
    assert second.calls_left(TENANT) == 4


def test_pg_slot_of_a_killed_worker_frees_at_once(pg_table):
    """A worker killed during a call never finishes it; its slot belonged to its database
    session, which ends with the process: the organisation's 5 in-flight slots are not held
    for minutes by the dead (the kill -9 figure of the README)."""
    clock = VirtualClock()
    dead = pg_table()
    window = Window(per_minute=60, concurrent=1)
    row, wait, _problem = dead.try_start(TENANT, clock.time(), window)
    assert row and wait == 0
    alive = pg_table()
    _row, wait, problem = alive.try_start(TENANT, clock.time(), window)
    assert (wait > 0, problem) == (True, "concurrent"), "the call is in flight while it lives"
    dead._cursor_factory.close()  # the process dies: its session ends, the call unfinished
    for _ in range(50):  # the server notices the closed connection within moments
        row, wait, _problem = alive.try_start(TENANT, clock.time(), window)
        if row:
            break
        time.sleep(0.05)
    assert row and wait == 0


# -- the day's budget (#25) -------------------------------------------------------------------


def test_day_reserve_stops_background_calls_until_the_next_day():
    """A throttle with a day reserve starts no call that would leave fewer than the reserve
    of the day's calls; it says when the day turns; a throttle without one (urgent work)
    uses the whole day; the next day the count starts again."""
    clock = VirtualClock(start=1_772_323_200.0 + 10 * 3600)  # 10:00 UTC
    store = MemoryStore()
    background = Throttle(store, clock, per_day=20, day_reserve=5)
    urgent = Throttle(store, clock, per_day=20)
    assert background.day_left(TENANT) == 20
    run_calls(background, clock, 15)
    assert (background.day_used(TENANT), background.day_left(TENANT)) == (15, 5)
    with pytest.raises(DayReserveReached) as info, background.slot(TENANT):
        pass
    assert info.value.until == next_day_pause(clock.time())
    assert info.value.problem == "reserve" and "urgent" in info.value.user_message()
    assert isinstance(info.value, XeroRateLimited)
    run_calls(urgent, clock, 5)
    assert urgent.day_left(TENANT) == 0
    assert Throttle(store, clock, per_day=20, day_reserve=5).day_left(OTHER) == 20
    store.pause(TENANT, clock.time() + 30)  # a pause mark is no call
    assert background.day_used(TENANT) == 20
    clock.set(info.value.until)
    assert background.day_left(TENANT) == 20
    run_calls(background, clock, 1)


def test_day_count_shared_through_postgres(pg_table):
    clock = VirtualClock(start=1_772_323_200.0 + 10 * 3600)
    first, second = pg_table(), pg_table()
    run_calls(Throttle(first, clock), clock, 3)
    Throttle(first, clock).pause(TENANT, clock.time() + 30)
    throttle = Throttle(second, clock, per_day=4, day_reserve=1)
    assert throttle.day_used(TENANT) == 3
    with pytest.raises(DayReserveReached), throttle.slot(TENANT):
        pass
    clock.advance(86400)
    assert throttle.day_left(TENANT) == 4
