"""Open311 writes: keys, the rate counter, and the two intakes (a new request, a client's
update), each handed to the case loop's own workflow function.

A new request is :func:`cityloop.cases.workflow.report` with the key's account as actor
and the key's source as channel, so routing, deadlines, duplicates and events are the same
as for any other channel. A client's update is :func:`cityloop.cases.workflow.comment`; a
client never changes a case's state.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cityloop.cases import workflow
from cityloop.cases.models import Case, CaseEvent, Category
from cityloop.core import clock, events, ratelimit
from cityloop.core.errors import InvalidInput, NotFound
from cityloop.open311 import queries
from cityloop.open311.models import ApiClient, ClientUpdate, RequestToken, ServiceAttribute
from cityloop.open311.params import NewRequest, NewUpdate
from cityloop.org.models import Place

KEY_PREFIX = "o311_"
MAX_OTHER_ATTRIBUTES = 30


RateLimited = ratelimit.RateLimited  # 429 ``rate_limited``, counted in the shared cache


# --- keys --------------------------------------------------------------------------------------


@transaction.atomic
def key_create(
    *,
    actor,
    name: str,
    account,
    source: str = Case.Source.RESIDENT,
    rate_per_minute: int | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its key; the key is returned once and only its digest is kept."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("client_name_invalid", _("Give the client a name of 1–100 characters."))
    if ApiClient.objects.filter(name=name).exists():
        raise InvalidInput("client_name_taken", _("A client with this name exists."))
    if source not in workflow.sources_for(account):
        # Checked now rather than at the first report, so a wrong key is never handed out.
        raise InvalidInput(
            "client_source_not_allowed",
            _("The account %(user)s may not report through the channel “%(source)s”.")
            % {"user": account.get_username(), "source": source},
        )
    if rate_per_minute is not None and rate_per_minute < 1:
        raise InvalidInput("client_rate_invalid", _("The rate is at least 1 per minute."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name,
        key_prefix=key[:12],
        key_digest=queries.key_digest(key),
        account=account,
        source=source,
        rate_per_minute=rate_per_minute,
        created_at=clock.now(),
    )
    events.record_on(
        client, actor=actor, verb="open311_key_create", data={"source": source, "name": name}
    )
    return client, key


@transaction.atomic
def key_revoke(*, actor, name: str) -> ApiClient:
    client = ApiClient.objects.select_for_update().filter(name=name).first()
    if client is None:
        raise NotFound("client_not_found", _("No Open311 client with this name."))
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        client.save(update_fields=["revoked_at"])
        events.record_on(client, actor=actor, verb="open311_key_revoke")
    return client


def check_rate(client: ApiClient | None, address: str) -> None:
    """Count one request against the client's (or, without a key, the address's) limit for
    the current minute, in the cache every worker shares; refuse it when over."""
    limit = (client.rate_per_minute if client else None) or (
        settings.CITYLOOP.open311_rate_per_minute
    )
    who = f"key:{client.key_digest[:16]}" if client else f"addr:{address}"
    ratelimit.hit(
        "open311",
        who,
        limit=limit,
        window=60,
        message=_("Too many requests: at most %(n)d a minute.") % {"n": limit},
    )


# --- intake ------------------------------------------------------------------------------------


def _answers(
    category: Category, given: dict[str, list[str]]
) -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    """Check the answers to the category's questions: (code, question, answer) rows, and the
    attributes the category does not ask for. Those are kept, not refused: clients such as
    FixMyStreet send their own (a report URL, their report id) with every request."""
    rows: list[tuple[str, str, str]] = []
    known = {q.code: q for q in queries.questions(category)}
    others = {code: values for code, values in given.items() if code not in known}
    if len(others) > MAX_OTHER_ATTRIBUTES:
        raise InvalidInput(
            "attribute_too_many",
            _("At most %(n)d attributes the service does not ask for.")
            % {"n": MAX_OTHER_ATTRIBUTES},
        )
    for code, q in known.items():
        values = given.get(code, [])
        if not q.variable:
            continue
        if not values:
            if q.required:
                raise InvalidInput(
                    "attribute_required",
                    _("attribute[%(code)s] is required: %(question)s")
                    % {"code": code, "question": q.description},
                    {"attribute": code},
                )
            continue
        rows.append((code, q.description, _answer(q, values)))
    return rows, others


def _answer(q: ServiceAttribute, values: list[str]) -> str:
    D = ServiceAttribute.Datatype
    bad = InvalidInput(
        "attribute_invalid",
        _("attribute[%(code)s] has a value this question does not take.") % {"code": q.code},
        {"attribute": q.code},
    )
    if q.datatype in (D.SINGLE, D.MULTI):
        names = {str(v.get("key")): str(v.get("name", "")) for v in q.values or []}
        if any(v not in names for v in values) or (q.datatype == D.SINGLE and len(values) > 1):
            raise bad
        return "、".join(names[v] for v in values)
    if len(values) > 1:
        raise bad
    value = values[0]
    if q.datatype == D.NUMBER:
        try:
            float(value)
        except ValueError:
            raise bad from None
    if q.datatype == D.DATETIME:
        from django.utils.dateparse import parse_datetime

        try:
            if parse_datetime(value) is None:
                raise bad
        except ValueError:
            raise bad from None
    if q.datatype == D.STRING and len(value) > 200:
        raise bad
    return value


def _place_for(address_id: str) -> Place:
    place = Place.objects.filter(code=address_id).first()
    if place is None:
        raise InvalidInput(
            "address_id_unknown",
            _("No place with address_id %(id)s.") % {"id": address_id},
            {"address_id": address_id},
        )
    return place


def request_create(
    *, client: ApiClient, req: NewRequest, idempotency_key: str = ""
) -> tuple[Case, str]:
    """Report a case for ``client``; returns it and the request's token."""
    try:
        category = queries.service(req.service_code)
    except NotFound as exc:  # a bad field of a POST is a 400, not a missing page
        raise InvalidInput(exc.code, exc.message, exc.detail) from None
    answers, others = _answers(category, req.attributes)
    # An Open311 description is optional; the case loop wants one, so the service names it.
    description = req.description or category.name
    if answers:
        description += "\n" + "\n".join(f"【{q}】{a}" for _c, q, a in answers)
    if len(description) > workflow.MAX_DESCRIPTION:
        raise InvalidInput(
            "field_too_long",
            _("description is too long (at most %(limit)d characters).")
            % {"limit": workflow.MAX_DESCRIPTION},
            {"field": "description"},
        )
    place = _place_for(req.address_id) if req.address_id else None
    with transaction.atomic():
        case = workflow.report(
            actor=client.account,
            source=client.source,
            description=description,
            category=category,
            lng=req.lng,
            lat=req.lat,
            address=req.address_string,
            place=place,
            reporter_name=req.name,
            reporter_phone=req.phone,
            reporter_email=req.email,
            idempotency_key=idempotency_key,
            client=f"open311:{client.pk}",
            event_data={
                "channel": "open311",
                "client": client.name,
                "client_id": client.pk,
                "device_id": req.device_id,
                "account_id": req.account_id,
                "media_url": req.media_url,
                "zipcode": req.zipcode,
                "address_id": req.address_id,
                "attributes": {code: answer for code, _q, answer in answers},
                "other_attributes": others,
            },
        )
        earlier = RequestToken.objects.filter(client=client, case=case).first()
        if earlier is not None:  # the same Idempotency-Key again: the same answer
            return case, earlier.token
        token = secrets.token_urlsafe(16)
        RequestToken.objects.create(token=token, client=client, case=case, created_at=clock.now())
    return case, token


def update_post(*, client: ApiClient, upd: NewUpdate) -> CaseEvent:
    """A client's update on a request its account can see, kept as a note on the case.

    The client's status (e.g. CLOSED from a reporter's app) is kept with the note for the
    desk to act on; the state changes only through the desk's own actions."""
    earlier = (
        ClientUpdate.objects.select_related("event")
        .filter(client=client, update_id=upd.update_id)
        .first()
    )
    if earlier is not None:
        return earlier.event
    not_found = NotFound(
        "request_not_found",
        _("No request with service_request_id %(id)s.") % {"id": upd.service_request_id},
    )
    case = Case.objects.filter(code=upd.service_request_id.upper()).only("pk").first()
    if case is None:
        raise not_found
    with transaction.atomic():
        try:
            workflow.comment(actor=client.account, case_id=case.pk, note=upd.description)
        except NotFound:
            # The key's account does not see this case: the same answer as for no such case.
            raise not_found from None
        event = (
            CaseEvent.objects.filter(case_id=case.pk, verb="comment", actor=client.account)
            .order_by("-pk")
            .first()
        )
        ClientUpdate.objects.create(
            client=client,
            update_id=upd.update_id,
            event=event,
            data=upd.event_data(),
            created_at=clock.now(),
        )
    return event
