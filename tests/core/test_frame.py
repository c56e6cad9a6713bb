"""The 公文 frame every kind shares (core.documents.Frame / compose): 份号 and 密级 top left,
主送 under the title, 附件说明 under the body, 抄送 and 印发 in the 版记 between rules, and an
office's own .docx template filled in — read back from the produced .docx."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn

from cityloop.core import documents as gw
from tests import gongwen

FRAME = gw.Frame(
    masthead="济源路街道办事处文件",
    reference="济街办〔2026〕7号",
    title="关于做好冬季供暖保障工作的通知",
    send_to="各社区居委会",
    copy_to="区委办、区政府办",
    signature="济源路街道办事处",
    date="2026年12月4日",
    copy_number="000123",
    secrecy="秘密★1年",
    attachments=("供暖保障联系表", "值班安排"),
    printer="济源路街道党政办",
    printed="2026年12月4日",
)


def _body(document):
    return gw.paragraph(document, "公文正文", "请各社区做好入户排查。")


def _borders(p) -> set[str]:
    ppr = p._p.pPr
    bdr = None if ppr is None else ppr.find(qn("w:pBdr"))
    return set() if bdr is None else {el.tag.split("}")[1] for el in bdr}


def _styled(d) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in d.paragraphs if p.text]


def test_every_element_in_its_place_and_style():
    d = gongwen.docx(gw.docx_bytes(gw.compose(FRAME, _body)))
    styled = _styled(d)
    assert styled[:4] == [
        ("份号", "000123"),
        ("份号", "秘密★1年"),
        ("发文机关标志", "济源路街道办事处文件"),
        ("发文字号", "济街办〔2026〕7号"),
    ]
    assert gongwen.east_asian(d.styles["份号"]) == "黑体"
    title_at = next(i for i, (s, _t) in enumerate(styled) if s == "公文标题")
    assert styled[title_at + 1] == ("主送机关", "各社区居委会：")
    texts = [t for _s, t in styled]
    at = texts.index("附件：1. 供暖保障联系表")
    assert texts[at - 1] == "请各社区做好入户排查。"
    assert texts[at + 1] == "\u3000\u3000\u30002. 值班安排"
    assert styled[at + 2 : at + 4] == [
        ("发文机关署名", "济源路街道办事处"),
        ("成文日期", "2026年12月4日"),
    ]
    imprint = [p for p in d.paragraphs if p.style.name == "版记"]
    assert [p.text for p in imprint] == [
        "抄送：区委办、区政府办。",
        "济源路街道党政办\t2026年12月4日印发",
    ]
    assert d.paragraphs[-1].text == imprint[-1].text  # the 版记 ends the document
    assert "top" in _borders(imprint[0]) and "bottom" in _borders(imprint[-1])


def test_empty_optional_elements_are_not_printed():
    frame = gw.Frame(
        masthead="济源路街道办事处", title="关于某事的通知", signature="济源路街道办事处"
    )
    d = gongwen.docx(gw.docx_bytes(gw.compose(frame, _body)))
    names = {p.style.name for p in d.paragraphs if p.text}
    assert not names & {"份号", "主送机关", "版记"}
    assert not any(p.text.startswith("附件") for p in d.paragraphs)


def test_one_attachment_has_no_number():
    assert gw.Frame(attachments=("联系表",)).attachment_lines() == ["附件：联系表"]


def _template(*lines: str, split: str = "") -> bytes:
    d = Document()
    for line in lines:
        p = d.add_paragraph()
        if split and split in line:  # Word often splits a placeholder over runs
            head, tail = line.split(split, 1)
            cut = len(split) // 2
            for piece in (head, split[:cut], split[cut:], tail):
                p.add_run(piece)
        else:
            p.add_run(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_an_office_template_is_filled_and_the_body_goes_at_its_mark():
    blob = _template(
        "{{发文机关标志}}",
        "{{发文字号}}",
        "{{标题}}",
        "{{主送机关}}：",
        "{{正文}}",
        "抄送：{{抄送}}",
        split="{{标题}}",
    )
    assert gw.check_template(blob) == []
    d = gongwen.docx(gw.docx_bytes(gw.compose(FRAME, _body, template=blob)))
    texts = [p.text for p in d.paragraphs if p.text]
    assert texts[:4] == [
        "济源路街道办事处文件",
        "济街办〔2026〕7号",
        "关于做好冬季供暖保障工作的通知",
        "各社区居委会：",
    ]
    assert texts[4] == "请各社区做好入户排查。"  # where {{正文}} stood
    assert texts[-1] == "抄送：区委办、区政府办"  # the template's own 版记 line …
    assert not any(p.style.name == "版记" for p in d.paragraphs)  # … not a second one
    assert "{{" not in "".join(texts)
    assert "济源路街道办事处" in texts  # the signature, after the body
    gongwen.assert_page_number_fields(d)  # the engine numbers a template without numbers


def test_a_template_without_its_own_copies_line_gets_the_imprint():
    blob = _template("{{发文机关标志}}", "{{正文}}")
    d = gongwen.docx(gw.docx_bytes(gw.compose(FRAME, _body, template=blob)))
    assert (
        next(p.text for p in d.paragraphs if p.style.name == "版记") == "抄送：区委办、区政府办。"
    )


def test_refused_templates_say_why_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert "Word" in gw.check_template(b"not a docx")[0]
        no_mark = gw.check_template(_template("{{标题}}"))
        assert "{{正文}}" in no_mark[0] and "缺少" in no_mark[0]
        damaged = gw.check_template(b"PK\x03\x04" + b"\0" * 40)
        assert "损坏" in damaged[0]
        assert "MB" in gw.check_template(b"PK" + b"\0" * (gw.TEMPLATE_MAX_BYTES + 1))[0]


def test_frame_over_puts_what_the_kind_gives_over_the_letterheads_defaults():
    """One merge for every kind (core.documents.frame_of's fallback and
    bulletins.queries.frame_of): a given value wins, an empty one keeps the default, the 附件
    names become a tuple."""
    defaults = {
        "masthead": "济源路街道办事处",
        "send_to": "各社区",
        "signature": "济源路街道办事处",
    }
    f = gw.frame_over(defaults, send_to="", title="关于文化墙的决议", attachments=["表决票"])
    assert (f.masthead, f.send_to, f.title, f.signature) == (
        "济源路街道办事处",
        "各社区",
        "关于文化墙的决议",
        "济源路街道办事处",
    )
    assert f.attachments == ("表决票",)
    assert gw.frame_over({}, copy_to=None).copy_to == ""


def test_marks_from_checks_what_a_person_gives():
    assert gw.marks_from("42", "秘密★1年", "表决票\n\n 业主名册 ") == {
        "copy_number": "000042",
        "secrecy": "秘密★1年",
        "attachments": ("表决票", "业主名册"),
    }
    assert gw.marks_from("", "", "") == {}
    assert gw.marks_from(secrecy="内部") == {"secrecy": "内部"}


def test_marks_from_refuses_bad_input_in_chinese():
    import pytest
    from django.utils import translation

    from cityloop.core.errors import InvalidInput

    cases = [
        ({"copy_number": "12a"}, "document_copy_number_invalid", "份号"),
        ({"copy_number": "1234567"}, "document_copy_number_invalid", "份号"),
        ({"secrecy": "一般"}, "document_secrecy_invalid", "密级"),
        ({"secrecy": "秘密★"}, "document_secrecy_invalid", "密级"),
        ({"attachments": "x" * 61}, "document_attachments_invalid", "附件"),
        ({"attachments": [f"表{i}" for i in range(11)]}, "document_attachments_invalid", "附件"),
    ]
    with translation.override("zh-hans"):
        for given, code, word in cases:
            with pytest.raises(InvalidInput) as exc:
                gw.marks_from(**given)
            assert exc.value.code == code
            assert word in str(exc.value.message)
            assert "The " not in str(exc.value.message)
