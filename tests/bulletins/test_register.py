"""发文登记 (issue 15.5): one register of every issued document, read off the records that
number them, scoped to the reader's units, searchable, keyset-paged, exported to .xlsx, with
the sha256 of each file as first produced after issue."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityloop.bulletins import queries


@pytest.fixture
def demo(shared_demo, db):
    return shared_demo


def _user(name: str):
    return get_user_model().objects.get(username=name)


def _kinds(rows) -> dict[str, int]:
    return {k: sum(1 for r in rows if r.kind == k) for k in queries.REGISTER_KINDS}


def test_the_register_lists_each_kind_and_only_the_readers_units(demo, client):
    from cityloop.supervision.models import UrgingLetter

    everything = queries.register_rows(_user("demo-admin"), limit=500)
    kinds = _kinds(everything)
    assert kinds["letter"] == UrgingLetter.objects.count() > 0
    assert kinds["bulletin"] >= 1 and kinds["minutes"] >= 1
    letter = UrgingLetter.objects.select_related("series", "addressee").first()
    row = next(r for r in everything if r.kind == "letter" and r.pk == letter.pk)
    assert (row.reference, row.addressees) == (letter.reference, letter.addressee.name)
    assert "〔" in row.reference and row.reference.endswith("号")
    bulletin = next(r for r in everything if r.kind == "bulletin")
    assert "第" in bulletin.reference and bulletin.reference.endswith("期")

    # Newest first across kinds.
    days = [r.day for r in everything]
    assert days == sorted(days, reverse=True)

    # Another street reads none of them: not listed, and the files are 404.
    assert queries.register_rows(_user("zxl-street"), limit=500) == []
    client.force_login(_user("zxl-street"))
    page = client.get(reverse("bulletins:register"))
    assert page.status_code == 200
    assert letter.reference not in page.content.decode()
    assert client.get(row.docx_url).status_code == 404


def test_search_and_filters(demo):
    admin = _user("demo-admin")
    everything = queries.register_rows(admin, limit=500)
    letter = next(r for r in everything if r.kind == "letter")
    by_number = queries.register_rows(admin, queries.RegisterFilter(q=letter.reference))
    assert [(r.kind, r.pk) for r in by_number] == [("letter", letter.pk)]
    word = letter.title[:4]
    by_title = queries.register_rows(admin, queries.RegisterFilter(q=word))
    assert (letter.kind, letter.pk) in {(r.kind, r.pk) for r in by_title}
    assert all(word in r.title or word in r.reference for r in by_title)
    only = queries.register_rows(admin, queries.RegisterFilter(kind="bulletin"))
    assert only and {r.kind for r in only} == {"bulletin"}
    year = queries.register_rows(admin, queries.RegisterFilter(year=letter.day.year))
    assert {r.day.year for r in year} == {letter.day.year}
    assert queries.register_rows(admin, queries.RegisterFilter(year=1999)) == []
    issuer = queries.register_rows(admin, queries.RegisterFilter(issuer=letter.issuer_id))
    assert issuer and {r.issuer_id for r in issuer} == {letter.issuer_id}


def test_keyset_pages_cover_the_register_once(demo, client):
    admin = _user("demo-admin")
    everything = [(r.kind, r.pk) for r in queries.register_rows(admin, limit=500)]
    assert len(everything) >= 4
    seen, before = [], None
    while True:
        page = queries.register_rows(admin, before=before, limit=3)
        if not page:
            break
        seen += [(r.kind, r.pk) for r in page]
        before = queries.parse_register_cursor(page[-1].cursor)
    assert seen == everything
    client.force_login(admin)
    assert client.get(reverse("bulletins:register"), {"before": "nonsense"}).status_code == 404


def test_a_file_is_fingerprinted_the_first_time_it_is_produced(demo, client):
    from cityloop.bulletins.models import DocumentHash

    admin = _user("demo-admin")
    client.force_login(admin)
    rows = queries.register_rows(admin, limit=500)
    for kind in ("letter", "bulletin", "minutes"):
        row = next(r for r in rows if r.kind == kind)
        first = client.get(row.docx_url)
        assert first.status_code == 200
        body = b"".join(first.streaming_content) if first.streaming else first.content
        sha = hashlib.sha256(body).hexdigest()
        client.get(row.docx_url)  # produced again: the first fingerprint stays
        kept = DocumentHash.objects.get(kind=kind, object_id=row.pk, fmt="docx")
        assert kept.sha256 == sha
        page = client.get(reverse("bulletins:register"), {"kind": kind}).content.decode()
        assert sha in page
    assert DocumentHash.objects.count() == 3
    # A draft issue is not issued: downloading it records nothing.
    from cityloop.bulletins.models import Issue

    draft = Issue.objects.filter(state=Issue.State.DRAFT).first()
    if draft is not None:
        client.get(reverse("bulletins:issue_file", args=[draft.pk, "docx"]))
        assert not DocumentHash.objects.filter(kind="bulletin", object_id=draft.pk).exists()


def test_the_register_exports_to_xlsx(demo, client):
    from openpyxl import load_workbook

    admin = _user("demo-admin")
    client.force_login(admin)
    r = client.get(reverse("bulletins:register"), {"format": "xlsx"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    values = list(sheet.values)
    assert values[0][:6] == ("类别", "发文字号", "文件标题", "发文机关", "主送", "成文日期")
    refs = {v[1] for v in values[1:]}
    assert refs == {x.reference for x in queries.register_rows(admin, limit=500)}


def test_the_register_page_reads_in_a_fixed_number_of_queries(demo, client):
    client.force_login(_user("demo-admin"))
    url = reverse("bulletins:register")
    client.get(url)  # caches warmed
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= REGISTER_QUERIES, len(ctx.captured_queries)


REGISTER_QUERIES = 20


def test_a_published_number_is_never_issued_twice(demo):
    from cityloop.bulletins.models import Issue, NoticeNumber
    from cityloop.meetings.models import Meeting
    from cityloop.org.models import Unit
    from cityloop.supervision.models import UrgingLetter

    def copy_of(obj, **changes):
        obj.pk = None
        obj.id = None
        for k, v in changes.items():
            setattr(obj, k, v)
        return obj

    unit = Unit.objects.first()
    notice = NoticeNumber.objects.create(
        issuer=unit, kind="monthly", year=2026, number=1, key="monthly:X:2026-01",
        reference="x〔2026〕1号", title="通报", issued_on="2026-02-03",
    )  # fmt: skip
    twins = {
        "notice": copy_of(notice, key="monthly:X:2026-02"),  # another notice, the same number
        "letter": copy_of(UrgingLetter.objects.first()),
        "bulletin": copy_of(Issue.objects.filter(state=Issue.State.PUBLISHED).first()),
        "minutes": copy_of(Meeting.objects.filter(state=Meeting.State.ISSUED).first()),
    }
    for kind, twin in twins.items():
        with pytest.raises(IntegrityError), transaction.atomic():
            twin.save()
        assert kind  # each kind refused by its own constraint
