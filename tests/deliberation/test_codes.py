"""Issue 14.4: one-time codes cannot be used to spam owners or to lock them out.

Codes are kept as an HMAC under the site secret; an SMS code asked by anyone never hides the
code staff handed over; wrong tries are counted on each code; requests are limited per phone,
per topic, per client address and per browser session, counted in Django's cache (Redis when
configured, so every worker counts the same requests).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from cityloop.core import clock
from cityloop.core.errors import Conflict, InvalidInput
from cityloop.deliberation import workflow
from cityloop.deliberation.models import Access

pytestmark = pytest.mark.django_db

PHONE = "13900000001"


def _sent_code(phone):
    from cityloop.core.models import Notification

    row = Notification.objects.filter(contact=phone, verb="deliberation_code").latest("pk")
    return row.title.rsplit(" ", 1)[-1].split("：")[-1].split(":")[-1].strip()


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _neither(*codes: str) -> str:
    return next(s for s in ("000000", "111111", "222222") if s not in codes)


def _later(seconds: int = 61):
    """Step the business clock past the one-a-minute resend rule."""
    return clock.frozen(clock.now() + timedelta(seconds=seconds))


def test_codes_are_kept_as_an_hmac_under_the_site_secret(settings, desk, topic_at_vote):
    topic = topic_at_vote
    code = workflow.access_issue(actor=desk, topic_id=topic.pk, phone=PHONE)
    stored = Access.objects.get().digest
    message = f"{topic.pk}:{PHONE}:{code}".encode()
    assert stored != hashlib.sha256(message).hexdigest()  # not reversible by trying 10⁶ codes
    assert stored == hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    settings.SECRET_KEY = "another-site-" + "x" * 50  # without the secret the code proves nothing
    with pytest.raises(InvalidInput) as err:
        workflow.access_verify(code=topic.code, phone=PHONE, secret=code)
    assert err.value.code == "code_wrong"


def test_an_sms_code_never_replaces_the_code_staff_handed_over(desk, topic_at_vote):
    topic = topic_at_vote
    staff_code = workflow.access_issue(actor=desk, topic_id=topic.pk, phone=PHONE)
    # Someone else asks for a text to the owner's number (the owner never sees it).
    assert workflow.access_request(code=topic.code, phone=PHONE) is True
    assert workflow.access_verify(code=topic.code, phone=PHONE, secret=staff_code) == PHONE
    assert Access.objects.get(method=Access.Method.STAFF).used_at is not None
    assert Access.objects.get(method=Access.Method.SMS).used_at is None  # still its own code


def test_wrong_tries_are_counted_on_each_code_and_a_fresh_code_always_works(at_day, topic_at_vote):
    topic = topic_at_vote
    workflow.access_request(code=topic.code, phone=PHONE)
    first = _sent_code(PHONE)
    for _ in range(3):
        with pytest.raises(InvalidInput):
            workflow.access_verify(code=topic.code, phone=PHONE, secret=_wrong(first))
    with _later():
        workflow.access_request(code=topic.code, phone=PHONE)
        second = _sent_code(PHONE)
        assert {a.attempts for a in Access.objects.order_by("pk")} == {3, 0}
        for _ in range(2):
            with pytest.raises(InvalidInput):
                workflow.access_verify(code=topic.code, phone=PHONE, secret=_neither(first, second))
        attempts = list(Access.objects.order_by("pk").values_list("attempts", flat=True))
        assert attempts == [5, 2]  # the first is spent, the second has its own count
        with pytest.raises(InvalidInput):  # a spent code stays spent
            workflow.access_verify(code=topic.code, phone=PHONE, secret=first)
        assert workflow.access_verify(code=topic.code, phone=PHONE, secret=second) == PHONE


def test_sms_requests_are_limited_per_phone(at_day, topic_at_vote):
    topic = topic_at_vote
    limit, _per = workflow.CODE_LIMITS["phone"]
    for n in range(limit):
        with _later(61 * (n + 1)):
            workflow.access_request(code=topic.code, phone=PHONE)
    with _later(61 * (limit + 1)), pytest.raises(Conflict) as err:
        workflow.access_request(code=topic.code, phone=PHONE)
    assert (err.value.code, err.value.http_status) == ("code_rate_limited", 429)
    assert Access.objects.count() == limit


@pytest.mark.parametrize("kind", ["address", "session", "topic"])
def test_sms_requests_are_limited_per_address_session_and_topic(monkeypatch, kind, topic_at_vote):
    topic = topic_at_vote
    monkeypatch.setitem(workflow.CODE_LIMITS, kind, (2, 3600))
    phones = ["13900000002", "13900000003", "13900000004"]

    def ask(phone, n):
        who = {"address": "203.0.113.7", "session": "s-1"}
        other = {"address": f"198.51.100.{n}", "session": f"s-{n + 10}"}
        fields = {k: (who[k] if k == kind else other[k]) for k in ("address", "session")}
        return workflow.access_request(code=topic.code, phone=phone, **fields)

    ask(phones[0], 1)
    ask(phones[1], 2)
    with pytest.raises(Conflict) as err:
        ask(phones[2], 3)
    assert err.value.code == "code_rate_limited" and err.value.detail["kind"] == kind
    assert Access.objects.count() == 2


def test_the_page_counts_requests_per_address(client, monkeypatch, topic_at_vote):
    topic = topic_at_vote
    monkeypatch.setitem(workflow.CODE_LIMITS, "address", (2, 3600))
    url = f"/topics/{topic.code}/code/"
    for phone in ("13900000002", "13900000003"):
        client.post(url, {"phone": phone})
    page = client.post(url, {"phone": "13900000004"}, follow=True).content.decode()
    assert "获取验证码过于频繁" in page
    assert Access.objects.count() == 2


def test_the_code_leaves_by_sms_and_is_not_kept_in_the_notifications_table(
    topic_at_vote, settings, caplog
):
    """The code table holds an HMAC; the notification row must not hold the code in clear
    either once it has been sent (nor when there is no channel to send it through)."""
    from cityloop.core import notify
    from cityloop.core.models import Notification

    topic = topic_at_vote
    assert workflow.access_request(code=topic.code, phone=PHONE) is True
    row = Notification.objects.get(contact=PHONE, verb="deliberation_code")
    settings.DEBUG = True  # a development site: the console channel shows the code
    with caplog.at_level("INFO", logger="cityloop.notify"):
        assert notify.deliver(row.pk) == {"console": "ok"}  # the worker's step after commit
    row.refresh_from_db()
    assert row.sent_at is not None and row.delivered == {"console": "ok"}
    sent = " ".join(r.getMessage() for r in caplog.records if r.name == "cityloop.notify")
    code = next(
        w for w in sent.replace("：", " ").replace(":", " ").split() if w.isdigit() and len(w) == 6
    )
    assert len(code) == 6
    assert code not in row.title and code not in str(row.data)
    assert row.title.endswith("******")
    # The code itself still works.
    assert workflow.access_verify(code=topic.code, phone=PHONE, secret=code)
    settings.CITYLOOP = settings.CITYLOOP.model_copy(update={"notify_channels": ""})
    with _later():
        workflow.access_request(code=topic.code, phone=PHONE)
    latest = Notification.objects.filter(contact=PHONE).latest("pk")
    assert latest.title.endswith("******") and not any(c.isdigit() for c in latest.title[-8:])


def test_a_deployments_console_log_never_shows_the_code(topic_at_vote, caplog):
    """Console is the default channel: outside DEBUG its log line says what the stored row
    says (******), so a one-time code is not kept in clear in the logs either."""
    from cityloop.core import notify
    from cityloop.core.models import Notification

    assert workflow.access_request(code=topic_at_vote.code, phone=PHONE) is True
    row = Notification.objects.get(contact=PHONE, verb="deliberation_code")
    with caplog.at_level("INFO", logger="cityloop.notify"):
        assert notify.deliver(row.pk) == {"console": "ok"}
    sent = " ".join(r.getMessage() for r in caplog.records if r.name == "cityloop.notify")
    assert "******" in sent
    assert not any(w.isdigit() and len(w) == 6 for w in sent.replace("：", " ").split()), sent
