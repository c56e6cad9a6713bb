"""The pure judgements: thinning, done against required, the missed-patrol light."""

from datetime import date, timedelta

from cityloop.patrols import coverage

MON = date(2026, 11, 23)  # a Monday


def test_thin_drops_points_closer_than_the_step():
    # ~11 m apart along a parallel at 34.78°N: 0.00012° of longitude
    pts = [(113.26 + i * 0.00012, 34.785) for i in range(10)]
    kept = coverage.thin(pts, min_step_m=20)
    assert kept == [0, 2, 4, 6, 8]


def test_thin_continues_from_the_last_stored_point():
    assert coverage.thin([(113.26, 34.785)], last=(113.26, 34.785)) == []


def test_daily_tally_counts_days_not_patrols():
    days = [MON, MON, MON + timedelta(days=2)]
    t = coverage.tally("day", 1, MON, MON + timedelta(days=6), days)
    assert (t.required, t.done, t.patrols) == (7, 2, 3)


def test_weekly_tally():
    t = coverage.tally("week", 1, MON, MON + timedelta(days=6), [MON + timedelta(days=4)])
    assert (t.required, t.done) == (1, 1)
    assert coverage.tally("week", 1, MON, MON + timedelta(days=6), []).done == 0


def test_missed_daily_yellow_then_red():
    today = MON + timedelta(days=3)
    assert coverage.missed("day", 1, today, [today - timedelta(days=1)]).light == ""
    yellow = coverage.missed("day", 1, today, [today - timedelta(days=2)])
    assert (yellow.light, yellow.reason) == ("yellow", "昨日未巡查")
    assert coverage.missed("day", 1, today, [today - timedelta(days=3)]).light == "red"
    # today itself is not judged before it is over
    assert coverage.missed("day", 1, today, [today - timedelta(days=1)]).periods == 0


def test_missed_weekly():
    today = MON + timedelta(days=1)
    assert coverage.missed("week", 1, today, [MON - timedelta(days=3)]).light == ""
    assert coverage.missed("week", 1, today, [MON - timedelta(days=10)]).light == "yellow"
    assert coverage.missed("week", 1, today, []).light == "red"
