"""Notifications: inbox rows in the caller's transaction, delivery after commit, channels
that fail alone, webhooks against a real local HTTP server, and the inbox API."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import Client

from cityloop.core import clock, notify, tokens
from cityloop.core.models import Notification
from cityloop.core.notify import Message, Recipient
from cityloop.core.notify_channels import (
    ConsoleChannel,
    EmailChannel,
    SmsWebhookChannel,
    channels_from_config,
)

HERE = "tests.core.test_notify"
TITLE = "事件已派遣：井盖缺失（济源路）"
BODY = "请于 2026-03-05 17:30 前处置并回复。"
LINK = "/cases/12"


def message(**extra) -> Message:
    values = {"verb": "case_dispatched", "title": TITLE, "body": BODY, "link": LINK}
    values.update(extra)
    return Message(**values)


# --- channels defined here and loaded by dotted path ----------------------------------------


class BrokenChannel:
    name = "broken"

    def send(self, recipient, message):
        raise RuntimeError("网关不可用")


class RecordingChannel:
    name = "recording"
    sent: list = []

    def send(self, recipient, message):
        RecordingChannel.sent.append((recipient, message))


class NotAChannel:
    pass


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def configure(settings):
    """Change CITYLOOP_* values for one test (pytest-django restores ``settings``)."""

    def apply(**values):
        settings.CITYLOOP = settings.CITYLOOP.model_copy(update=values)
        return settings.CITYLOOP

    return apply


@pytest.fixture
def huey_immediate():
    """Run queued tasks at once in this thread, as ``DEBUG`` deployments do."""
    from huey.contrib.djhuey import HUEY

    was = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = was


@pytest.fixture
def officer(tree, make_account):
    from cityloop.org import services as s

    user = make_account("jyl-li", unit=tree.office_a)
    s.person_save(
        actor=None, code="acct-jyl-li", name="李明", unit=tree.office_a, phone="13800000001"
    )
    user.email = "liming@jyl.example.cn"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def other(tree, make_account):
    return make_account("zxl-wang", unit=tree.office_b)


@pytest.fixture
def recording():
    RecordingChannel.sent.clear()
    yield RecordingChannel.sent
    RecordingChannel.sent.clear()


class Gateway:
    """A real HTTP server on 127.0.0.1 recording each POST; answers set per path."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, tuple[int, bytes]] = {}
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(raw.decode("utf-8")),
                    }
                )
                status, body = gateway.answers.get(self.path, (200, b'{"errcode":0}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def gateway(monkeypatch):
    # Talk to the local server directly even where the environment sets an HTTP proxy.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    gw = Gateway()
    gw.thread.start()
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


def _deliver_all() -> None:
    for pk in Notification.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        notify.deliver(pk)


# --- the inbox row and the transaction ------------------------------------------------------


@pytest.mark.django_db
def test_rolled_back_change_leaves_no_row_and_sends_nothing(
    officer, configure, mailoutbox, django_capture_on_commit_callbacks
):
    configure(notify_channels="console,email")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            rows = notify.notify(recipients=[officer], message=message())
            assert Notification.objects.filter(pk=rows[0].pk).exists()
            raise RuntimeError("the case change failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_committed_change_writes_row_and_defers_delivery(
    officer, configure, django_capture_on_commit_callbacks
):
    configure(notify_channels="console")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            (row,) = notify.notify(
                recipients=[officer], message=message(data={"case_id": 12, "due": clock.now()})
            )
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert (row.recipient, row.verb, row.title, row.body, row.link) == (
        officer,
        "case_dispatched",
        TITLE,
        BODY,
        LINK,
    )
    assert row.data["case_id"] == 12 and isinstance(row.data["due"], str)
    assert row.sent_at is None and row.read_at is None
    assert row.channels == [] and row.delivered == {}


@pytest.mark.django_db
def test_same_person_twice_gets_one_row_and_unreachable_is_left_out(officer, configure):
    configure(notify_channels="")
    rows = notify.notify(
        recipients=[officer, officer, Recipient(user=officer), Recipient(name="匿名")],
        message=message(),
    )
    assert len(rows) == 1
    assert Notification.objects.count() == 1
    # No external channel configured: the inbox row is the whole notification.
    assert rows[0].sent_at is not None


@pytest.mark.django_db
def test_resident_without_account_gets_a_contact_row(configure):
    configure(notify_channels="")
    (row,) = notify.notify(
        recipients=[Recipient(name="王女士", phone="13900000002", email="wang@example.cn")],
        message=message(verb="case_closed", title="您反映的问题已办结"),
    )
    row.refresh_from_db()
    assert row.recipient is None
    assert row.contact == "13900000002 wang@example.cn"


@pytest.mark.django_db
def test_bad_message_is_refused(officer):
    with pytest.raises(ValueError, match="site-relative"):
        notify.notify(recipients=[officer], message=message(link="https://evil.example/"))
    with pytest.raises(ValueError, match="verb"):
        notify.notify(recipients=[officer], message=message(verb="x" * 41))
    with pytest.raises(TypeError):
        notify.notify(recipients=["officer"], message=message())
    assert not Notification.objects.exists()


# --- delivery -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_on_commit_delivers_through_console_and_email(
    officer, configure, huey_immediate, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    configure(notify_channels="console,email", email_from="cityloop@jyl.example.cn")
    caplog.set_level(logging.INFO, logger="cityloop.notify")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = notify.notify(recipients=[officer], message=message())
        assert mailoutbox == []  # nothing leaves before commit

    row.refresh_from_db()
    assert row.channels == ["console", "email"]
    assert row.delivered == {"console": "ok", "email": "ok"}
    assert row.sent_at is not None

    (mail,) = mailoutbox
    assert mail.subject == TITLE
    assert mail.to == ["liming@jyl.example.cn"]
    assert mail.from_email == "cityloop@jyl.example.cn"
    assert BODY in mail.body and LINK in mail.body
    # The encoded header decodes back to the same Chinese title.
    assert str(make_header(decode_header(mail.message()["Subject"]))) == TITLE

    lines = [r.getMessage() for r in caplog.records if r.name == "cityloop.notify"]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert "case_dispatched" in lines[0] and "李明" in lines[0] and TITLE in lines[0]


@pytest.mark.django_db
def test_delivery_goes_through_the_real_queue(
    officer, configure, django_capture_on_commit_callbacks
):
    from huey.contrib.djhuey import HUEY

    configure(notify_channels="console")
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        (row,) = notify.notify(recipients=[officer], message=message())
    task = HUEY.dequeue()
    assert task is not None, "the delivery never reached the queue storage"
    assert task.name.endswith("deliver_notification")
    assert task.args == (row.pk,)
    HUEY.flush()
    row.refresh_from_db()
    assert row.sent_at is None  # the worker has not run it yet
    # What the worker runs (db_task's close_db would close the test's connection, so the
    # task body is called directly here).
    assert notify.deliver(task.args[0]) == {"console": "ok"}


@pytest.mark.django_db
def test_delivery_happens_once(officer, configure, mailoutbox):
    configure(notify_channels="email")
    (row,) = notify.notify(recipients=[officer], message=message())
    assert notify.deliver(row.pk) == {"email": "ok"}
    assert notify.deliver(row.pk) == {}
    assert notify.deliver(999_999) == {}
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_failing_channel_is_recorded_and_the_others_still_deliver(
    officer, configure, mailoutbox, caplog
):
    configure(notify_channels=f"console,{HERE}.BrokenChannel,pigeon,email")
    caplog.set_level(logging.INFO, logger="cityloop.notify")
    (row,) = notify.notify(recipients=[officer], message=message())
    notify.deliver(row.pk)

    row.refresh_from_db()
    assert row.channels == ["console", "broken", "pigeon", "email"]
    assert row.delivered["console"] == "ok"
    assert row.delivered["broken"] == "RuntimeError: 网关不可用"
    assert row.delivered["pigeon"].startswith("ImproperlyConfigured: unknown notification")
    assert row.delivered["email"] == "ok"
    assert len(mailoutbox) == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert "channel broken failed" in errors[0] and "channel pigeon failed" in errors[1]


@pytest.mark.django_db
def test_email_is_skipped_without_an_address(tree, make_account, configure, mailoutbox):
    configure(notify_channels="email")
    user = make_account("no-mail", unit=tree.office_a)
    (row,) = notify.notify(recipients=[user], message=message())
    assert notify.deliver(row.pk) == {"email": "skipped"}
    assert mailoutbox == []


@pytest.mark.django_db
def test_sweeper_delivers_rows_the_queue_never_got(officer, configure, mailoutbox):
    configure(notify_channels="email")
    start = clock.now()
    with clock.frozen(start - timedelta(minutes=10)):
        notify.notify(recipients=[officer], message=message(title="旧消息"))
    with clock.frozen(start - timedelta(days=2)):
        notify.notify(recipients=[officer], message=message(title="过期消息"))
    (fresh,) = notify.notify(recipients=[officer], message=message(title="新消息"))
    with clock.frozen(start):
        assert notify.deliver_pending() == 1
    assert [m.subject for m in mailoutbox] == ["旧消息"]
    fresh.refresh_from_db()
    assert fresh.sent_at is None  # left to the queue


# --- webhooks against a real local server ---------------------------------------------------


@pytest.mark.django_db
def test_sms_and_wecom_post_the_right_json(officer, configure, gateway):
    configure(
        notify_channels="sms,wecom",
        sms_webhook_url=gateway.url + "/sms",
        wecom_webhook_url=gateway.url + "/wecom",
    )
    resident = Recipient(name="王女士", phone="13900000002")
    staff_row, resident_row = notify.notify(recipients=[officer, resident], message=message())
    assert notify.deliver(staff_row.pk) == {"sms": "ok", "wecom": "ok"}
    # A resident is not in the staff group: SMS only.
    assert notify.deliver(resident_row.pk) == {"sms": "ok", "wecom": "skipped"}

    by_path = [(r["path"], r["json"]) for r in gateway.requests]
    assert by_path == [
        ("/sms", {"phone": "13800000001", "text": f"{TITLE}\n{BODY}"}),
        (
            "/wecom",
            {
                "msgtype": "text",
                "text": {
                    "content": f"{TITLE}\n{BODY}\n{LINK}",
                    "mentioned_mobile_list": ["13800000001"],
                },
            },
        ),
        ("/sms", {"phone": "13900000002", "text": f"{TITLE}\n{BODY}"}),
    ]
    assert all(r["content_type"].startswith("application/json") for r in gateway.requests)


@pytest.mark.django_db
def test_webhook_failures_are_recorded(officer, configure, gateway):
    configure(
        notify_channels="sms,wecom,console",
        sms_webhook_url=gateway.url + "/sms",
        wecom_webhook_url=gateway.url + "/wecom",
    )
    gateway.answers["/sms"] = (500, b'{"error":"down"}')
    gateway.answers["/wecom"] = (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}')
    (row,) = notify.notify(recipients=[officer], message=message())
    outcome = notify.deliver(row.pk)
    assert outcome["sms"].startswith("HTTPError: HTTP Error 500")
    assert outcome["wecom"] == "RuntimeError: wecom errcode 93000: invalid webhook url"
    assert outcome["console"] == "ok"
    assert len(gateway.requests) == 2


@pytest.mark.django_db
def test_webhook_channel_without_url_is_a_configuration_error(officer, configure):
    configure(notify_channels="sms,console", sms_webhook_url="")
    (row,) = notify.notify(recipients=[officer], message=message())
    outcome = notify.deliver(row.pk)
    assert outcome["sms"].startswith("ImproperlyConfigured: sms channel")
    assert outcome["console"] == "ok"


def test_wecom_content_is_cut_to_the_robot_limit(gateway):
    from cityloop.core.notify_channels import WeComWebhookChannel

    channel = WeComWebhookChannel(url=gateway.url + "/wecom")
    long_body = "路" * 1000  # 3000 bytes in UTF-8
    user = type("U", (), {"get_username": lambda self: "u"})()
    assert channel.send(Recipient(user=user), message(body=long_body)) is None
    content = gateway.requests[0]["json"]["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048
    assert content.startswith(TITLE)


# --- configuration --------------------------------------------------------------------------


def test_dotted_path_channel_is_loaded_from_config(configure):
    configure(notify_channels=f"console, email ,{HERE}.RecordingChannel,console")
    channels = channels_from_config()
    assert [type(c) for c in channels] == [ConsoleChannel, EmailChannel, RecordingChannel]
    assert all(isinstance(c, notify.Channel) for c in channels)


@pytest.mark.django_db
def test_custom_channel_receives_the_message(officer, configure, recording):
    configure(notify_channels=f"{HERE}.RecordingChannel")
    (row,) = notify.notify(recipients=[officer], message=message(data={"case_id": 12}))
    assert notify.deliver(row.pk) == {"recording": "ok"}
    ((recipient, sent),) = recording
    assert (recipient.user, recipient.name, recipient.phone, recipient.email) == (
        officer,
        "李明",
        "13800000001",
        "liming@jyl.example.cn",
    )
    assert sent == message(data={"case_id": 12})


def test_bad_channel_entries_are_refused(configure):
    with pytest.raises(ImproperlyConfigured, match="unknown notification channel"):
        channels_from_config("fax")
    with pytest.raises(ImproperlyConfigured, match="cannot import"):
        channels_from_config("nowhere.Channel")
    with pytest.raises(ImproperlyConfigured, match="not a channel"):
        channels_from_config(f"{HERE}.NotAChannel")
    with pytest.raises(TypeError):
        notify.register_channel(NotAChannel)
    assert isinstance(SmsWebhookChannel(url="http://127.0.0.1:9/sms"), SmsWebhookChannel)


# --- the inbox over the API -----------------------------------------------------------------


def _api(user):
    client = Client()
    token = tokens.token_issue(user=user, label="test")
    return client, {"Authorization": f"Bearer {token}"}


@pytest.mark.django_db
def test_inbox_api_lists_only_the_callers_rows(officer, other, configure):
    configure(notify_channels="")
    notify.notify(recipients=[officer, other], message=message(title="第一条"))
    notify.notify(recipients=[officer], message=message(title="第二条"))
    notify.notify(recipients=[other], message=message(title="别人的"))
    client, auth = _api(officer)

    body = client.get("/api/v1/inbox", headers=auth).json()
    assert [i["title"] for i in body["items"]] == ["第二条", "第一条"]
    assert (body["count"], body["limit"], body["offset"], body["unread_count"]) == (2, 50, 0, 2)
    assert body["items"][0]["link"] == LINK and body["items"][0]["read_at"] is None
    assert "delivered" not in body["items"][0]

    page = client.get("/api/v1/inbox", {"limit": 1, "offset": 1}, headers=auth).json()
    assert [i["title"] for i in page["items"]] == ["第一条"] and page["count"] == 2

    assert Client().get("/api/v1/inbox").status_code == 401


@pytest.mark.django_db
def test_marking_read_touches_only_the_callers_rows(officer, other, configure):
    configure(notify_channels="")
    mine_1, theirs = notify.notify(recipients=[officer, other], message=message())
    (mine_2,) = notify.notify(recipients=[officer], message=message(title="第二条"))
    client, auth = _api(officer)

    def post(payload):
        return client.post(
            "/api/v1/inbox/read", payload, content_type="application/json", headers=auth
        )

    answer = post({"ids": [mine_1.pk, theirs.pk]})
    assert answer.status_code == 200 and answer.json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None

    unread = client.get("/api/v1/inbox", {"unread": "true"}, headers=auth).json()
    assert [i["id"] for i in unread["items"]] == [mine_2.pk] and unread["unread_count"] == 1

    assert post({}).json() == {"marked": 1}
    assert post({}).json() == {"marked": 0}
    assert post({"ids": "all"}).status_code == 422
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert Notification.objects.filter(recipient=officer, read_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_queue_outage_after_commit_is_logged_not_raised(officer, configure, caplog):
    """Issue 16: with the queue unreachable a committed write still succeeds; the row waits."""
    from huey import RedisHuey
    from huey.contrib.djhuey import HUEY

    configure(notify_channels="console")
    dead = RedisHuey("cityloop-dead", url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    storage, immediate = HUEY.storage, HUEY.immediate
    HUEY.storage, HUEY.immediate = dead.storage, False
    try:
        with caplog.at_level(logging.ERROR, logger="cityloop.notify"):
            with transaction.atomic():
                (row,) = notify.notify(recipients=[officer], message=message())
    finally:
        HUEY.storage, HUEY.immediate = storage, immediate
    row.refresh_from_db()
    assert row.sent_at is None  # still pending: the sweep delivers it when the queue is back
    assert f"could not queue notification {row.pk}" in caplog.text


# --- accounts by id, written set-based (the light sweep) ------------------------------------


def _fields(rows) -> list[tuple]:
    return sorted(
        (r.recipient_id, r.contact, r.verb, r.title, r.body, r.link, r.data, r.sent_at is None)
        for r in rows
    )


@pytest.mark.django_db
@pytest.mark.parametrize("channels", ["", "console"])
def test_notify_accounts_writes_what_notify_many_writes(
    officer, other, configure, django_capture_on_commit_callbacks, channels
):
    configure(notify_channels=channels)
    first = message(title="事件" * 150, data={"case": 7, "code": "JYL-7"})  # over 200: cut
    second = message(verb="case_light_red", data={"case": 8})
    with transaction.atomic():
        many = notify.notify_many([([officer, other, officer], first), ([other], second)])
        expected = _fields(Notification.objects.all())
        transaction.set_rollback(True)
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            written = notify.notify_accounts(
                [([officer.pk, other.pk, officer.pk], first), ([other.pk], second)]
            )
            pending = list(notify._pending_ids()) if channels else []
    assert many == written == 3
    rows = list(Notification.objects.all())
    assert _fields(rows) == expected
    (cut,) = {r.title for r in rows if r.verb == "case_dispatched"}
    assert len(cut) == notify.TITLE_MAX and cut.endswith("…")
    # with a channel the rows wait for the queue: one batch after commit, of exactly these rows
    assert all(r.sent_at is None for r in rows) == bool(channels)
    assert len(callbacks) == (1 if channels else 0)
    assert sorted(pending) == (sorted(r.pk for r in rows) if channels else [])


@pytest.mark.django_db
def test_insert_rows_keeps_microseconds_json_and_flags(officer):
    from cityloop.core.db import insert_rows

    moment = clock.now().replace(microsecond=123456)
    rows = [
        {
            "recipient_id": officer.pk,
            "contact": "",
            "verb": "case_light_red",
            "title": "案件超时",
            "body": "井盖缺失（处置中）",
            "link": "/cases/1/",
            "data": {"case": 1, "nested": {"路": ["济源路", None, True]}},
            "created_at": moment,
            "sent_at": None,
            "channels": [],
            "delivered": {},
        }
    ]
    (pk,) = insert_rows(Notification, rows, returning=True)
    assert insert_rows(Notification, rows) == []  # without returning: written, no ids
    row = Notification.objects.get(pk=pk)
    assert row.created_at == moment and row.sent_at is None
    assert row.data == {"case": 1, "nested": {"路": ["济源路", None, True]}}
    assert (row.title, row.body) == ("案件超时", "井盖缺失（处置中）")
    assert (row.channels, row.delivered) == ([], {})
    assert Notification.objects.count() == 2
