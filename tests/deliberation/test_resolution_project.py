"""A passed resolution is linked to the project that carries it out (决议的实施): through the
workflow with an event on the topic and on the project; refused before the vote passed, for
a project already carrying out another resolution, and for a project the organiser cannot
see; the project page shows the resolution, its electorate and its tally."""

from __future__ import annotations

from datetime import date

import pytest

from cityloop.core.errors import Conflict, InvalidTransition, NotFound
from cityloop.deliberation import services, workflow
from cityloop.deliberation.models import ResolutionProject, TopicEvent
from cityloop.projects.models import ProjectEvent
from tests.deliberation.test_electorate import OTHERS, _entrance

pytestmark = pytest.mark.django_db


def _project(tree, code="DT-1", unit=None, place=None):
    from cityloop.projects.services import ProjectInput, create_project

    return create_project(
        actor=None,
        data=ProjectInput(
            code=code,
            name="06小区3号楼2单元加装电梯工程",
            type="old_compound",
            responsible_unit=(unit or tree.office_a).code,
            places=[(place or tree.compound_a).code],
            start=date(2026, 6, 1),
            deadline=date(2026, 12, 31),
        ),
    )


def _lift(desk, tree, register, *, passes=True):
    register(OTHERS + _entrance([50, 50, 50, 50]))
    topic = services.topic_create(
        actor=desk, place=tree.compound_a, title="3号楼2单元加装电梯", rule="owners_major"
    )
    workflow.propose(actor=desk, topic_id=topic.pk, proposal="加装电梯")
    workflow.deliberate(actor=desk, topic_id=topic.pk, minutes="同意", attendance=6)
    vote = workflow.open_vote(
        actor=desk,
        topic_id=topic.pk,
        question="是否同意3号楼2单元加装电梯？",
        electorate="entrance",
        building="3号楼",
        entrance="2",
    )
    choices = ["for", "for", "for", "against"] if passes else ["for", "for", "against", "against"]
    units = sorted((r.household for r in vote.roll.select_related("household")), key=str)
    for i, (unit, choice) in enumerate(zip(units, choices, strict=True)):
        workflow.ballot_paper(
            actor=desk, topic_id=topic.pk, household_id=unit.pk, choice=choice, ballot_no=f"{i}"
        )
    workflow.close_vote(actor=desk, topic_id=topic.pk)
    topic.refresh_from_db()
    return topic


def test_a_passed_resolution_links_its_project_with_events_on_both(desk, tree, register, at_day):
    topic = _lift(desk, tree, register)
    project = _project(tree)
    link = workflow.link_project(
        actor=desk, topic_id=topic.pk, project_id=project.pk, note="纳入老旧小区改造"
    )
    assert ResolutionProject.objects.get() == link and link.project == project
    event = TopicEvent.objects.get(topic=topic, verb="link_project")
    assert event.data == {"project": "DT-1", "project_name": "06小区3号楼2单元加装电梯工程"}
    assert event.note == "纳入老旧小区改造"
    on_project = ProjectEvent.objects.get(project=project, verb="resolution")
    assert on_project.data["topic"] == topic.code


def test_a_failed_resolution_cannot_be_linked(desk, tree, register, at_day):
    topic = _lift(desk, tree, register, passes=False)
    assert topic.stage == "not_adopted"
    with pytest.raises(InvalidTransition) as refused:
        workflow.link_project(actor=desk, topic_id=topic.pk, project_id=_project(tree).pk)
    assert refused.value.code == "resolution_not_passed"
    assert not ResolutionProject.objects.exists()


def test_a_project_carries_out_one_resolution(desk, tree, register, at_day):
    topic = _lift(desk, tree, register)
    project = _project(tree)
    workflow.link_project(actor=desk, topic_id=topic.pk, project_id=project.pk)
    with pytest.raises(Conflict) as refused:
        workflow.link_project(actor=desk, topic_id=topic.pk, project_id=project.pk)
    assert refused.value.code == "project_already_linked"
    assert ResolutionProject.objects.count() == 1


def test_a_project_outside_the_organisers_scope_is_not_found(desk, tree, register, at_day):
    topic = _lift(desk, tree, register)
    foreign = _project(tree, code="ZXL-1", unit=tree.office_b, place=tree.compound_b)
    with pytest.raises(NotFound):
        workflow.link_project(actor=desk, topic_id=topic.pk, project_id=foreign.pk)
    assert not ResolutionProject.objects.exists()


def test_the_pages_link_and_the_project_page_shows_the_resolution_and_its_tally(
    client, desk, tree, register, at_day
):
    topic = _lift(desk, tree, register)
    project = _project(tree)
    client.force_login(desk)
    url = f"/deliberation/topics/{topic.pk}/"
    page = client.get(url).content.decode()
    assert 'data-action="link_project"' in page and ">06小区3号楼2单元加装电梯工程</option>" in page
    r = client.post(url + "link_project/", {"project": project.pk}, follow=True)
    page = r.content.decode()
    assert 'data-project="DT-1"' in page and "实施决议的项目" in page
    assert ResolutionProject.objects.filter(topic=topic, project=project).exists()

    page = client.get(f"/projects/{project.pk}/").content.decode()
    panel = page[page.index("data-resolution-of-project") :]
    panel = panel[: panel.index("</section>")]
    assert topic.code in panel and "是否同意3号楼2单元加装电梯？" in panel
    assert "表决范围：3号楼2单元" in panel
    assert 'data-tally data-passed="yes"' in panel
    assert 'data-threshold="approval_heads" data-met="yes"' in panel
    assert "3 / 4" in panel  # the owners in favour of those who voted, as counted


def test_a_project_without_a_resolution_shows_none(client, desk, tree, at_day):
    project = _project(tree)
    client.force_login(desk)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "data-resolution-of-project" not in page
