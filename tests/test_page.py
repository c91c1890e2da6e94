"""Page structure: the seed page's articles and blocks, plain-text titles, and invariants."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.errors import UsageError
from tagger.page import (
    BLOCK_KINDS,
    TAGGABLE_KINDS,
    Block,
    Page,
    classify_line,
    ends_sentence,
    parse_page,
    read_page,
)

from .support import SEED_PAGE

PAGE_TITLE = "防控疫情 众志成城"
TITLES = [
    "堡垒筑在最前沿 党旗插在第一线",
    "通许县 家校联动 共筑疫情防线",
    "范县 “1+2+N”织密疫情防控网",
    "尉氏县 “三个一”模式筑牢“红色”防控墙",
    "博爱县 350支“劝导队”活跃抗疫一线",
    "叶县仙台镇 “红装志愿者”坚守防疫阵地",
    "漯河市郾城区 “红色物业”破解“三无楼院”治理难题",
    "中牟县 为“双防双胜”提供组织保障",
    "“公安蓝”“天使白” 夫妻并肩战“疫”线",
]


@pytest.fixture(scope="module")
def seed() -> Page:
    return read_page(SEED_PAGE)


def only(page: Page, fragment: str) -> Block:
    found = [block for _, _, block in page.blocks() if fragment in block.text]
    assert len(found) == 1, f"{fragment!r} is in {len(found)} blocks"
    return found[0]


def nonspace(text: str) -> str:
    return "".join(text.split())


def check_invariants(page: Page) -> None:
    """Every non-whitespace character lies in exactly one block; blocks in order; text kept."""
    blocks = [block for _, _, block in page.blocks()]
    assert [index for _, index, _ in page.blocks()] == list(range(len(blocks)))
    assert [b for a in page.articles for b in a.blocks] == blocks
    position = 0
    for block in blocks:
        assert block.kind in BLOCK_KINDS
        assert block.taggable == (block.kind in TAGGABLE_KINDS)
        assert position <= block.start < block.end <= len(page.text)
        assert not page.text[position : block.start].strip()
        span = nonspace(page.text[block.start : block.end])
        if block.kind == "heading":
            assert span in (nonspace(block.text), "#" * block.level + nonspace(block.text))
        else:
            assert (block.level, span) == (0, nonspace(block.text))
        position = block.end
    assert not page.text[position:].strip()


def test_seed_articles_and_heading_chain(seed: Page) -> None:
    assert [article.title for article in seed.articles] == TITLES
    first = seed.articles[0]
    assert first.headings == (PAGE_TITLE, TITLES[0])
    assert [(b.level, b.text) for b in first.blocks[:3]] == [
        (1, PAGE_TITLE),
        (2, TITLES[0]),
        (3, "焦作市山阳区基层党组织带领党员干部筑牢疫情防控堤坝"),
    ]
    assert all(a.headings == (PAGE_TITLE, a.title) for a in seed.articles)
    check_invariants(seed)


@pytest.mark.parametrize(
    ("fragment", "head", "tail"),
    [
        ("县直单位包132个居民楼院,", "博爱县在全县204个行政村", "扎堆聚集的现象。"),
        ("先锋模范作用,舍小家", "“每次进出这里", "都能看到山阳区党员冲锋的身影。"),
        ("组建党员突击队546支", "树好“一面旗”", "党员作用发挥全覆盖。"),
        ("联防联控”抗击", "仙台镇辖51个行政村", "抗击疫情阻击战。"),
        ("“三无楼院”党的组织全覆盖", "在此基础上", "党员交叉任职。"),
    ],
)
def test_seed_column_breaks_are_merged(seed: Page, fragment: str, head: str, tail: str) -> None:
    block = only(seed, fragment)
    assert block.kind == "body"
    assert block.text.startswith(head) and block.text.endswith(tail)
    span = seed.text[block.start : block.end]
    parts = [line.strip() for line in span.split("\n") if line.strip()]
    assert len(parts) == 2 and "".join(parts) == block.text


def test_seed_heading_interrupting_a_sentence_is_left_alone(seed: Page) -> None:
    blocks = [block for _, _, block in seed.blocks()]
    fragment = only(seed, "把党的")
    assert fragment.kind == "body" and fragment.text.endswith("作用,把党的")
    after = blocks[blocks.index(fragment) + 1]
    assert (after.kind, after.level, after.text) == ("heading", 4, "冲锋在前 当好疫情防控“主力军”")
    assert seed.text[after.start : after.end].startswith("#### ")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("□本报记者 丁需学 通讯员 任晓晴", "byline"),
        ("□本报记者 仵树大 通讯员 姚跃忠", "byline"),
        ("本报记者 曹相飞 通讯员 李中贺 摄", "byline"),
        ("(是正坤)", "byline"),
        ("(王岩)", "byline"),
        ("(裴文肖 刘亮)", "byline"),
        ("(李萌萌 杨士奎)", "byline"),
        ("本版联办单位:", "furniture"),
        ("**中共河南省委组织部**", "furniture"),
        ("投稿邮箱:0371-65795788 信箱:nbcjcdj@126.com", "furniture"),
        ("欢迎登录“中原三农网” 网址:www.zysn.cn", "furniture"),
        ("河南日报农村版微信公众号:hnrncb", "furniture"),
        ("群名称:基层党建", "furniture"),
        ("群号:463465900", "furniture"),
    ],
)
def test_seed_bylines_and_furniture(seed: Page, text: str, kind: str) -> None:
    matches = [b for _, _, b in seed.blocks() if b.text == text]
    assert matches and all(b.kind == kind and not b.taggable for b in matches)


def test_seed_caption_and_taggable_blocks(seed: Page) -> None:
    caption = only(seed, "邓州市在各村设置卡口")
    assert caption.kind == "caption" and caption.taggable
    assert "图为该市十林镇" in caption.text
    assert {b.kind for _, _, b in seed.taggable()} == {"body", "caption"}
    assert only(seed, "目标。(张刚军)").kind == "body"
    kinds = [b.kind for _, _, b in seed.blocks()]
    assert kinds.count("furniture") == 7 and kinds.count("byline") == 8


PLAIN = """\
博爱县组建劝导队活跃抗疫一线

□本报记者 张三

“小伙子,出门一定记得戴口罩。”党员志愿者手持大喇叭在小区进行劝导宣传。

博爱县在全县设立396个卡点,全县78个县直单位包

132个居民楼院,构筑起了疫情防控坚强屏障。

该县组织党员志愿者

们在卡口值守,测温登记。

通许县家校联动 共筑疫情防线

连日来,通许县深入开展“小手拉大手”活动。
(张刚军)
"""


def test_plain_text_titles_start_articles() -> None:
    page = parse_page(PLAIN)
    assert [(a.title, a.headings) for a in page.articles] == [
        ("博爱县组建劝导队活跃抗疫一线", ("博爱县组建劝导队活跃抗疫一线",)),
        ("通许县家校联动 共筑疫情防线", ("通许县家校联动 共筑疫情防线",)),
    ]
    assert [(b.kind, b.text[:8]) for _, _, b in page.blocks()] == [
        ("heading", "博爱县组建劝导队"),
        ("byline", "□本报记者 张三"),
        ("body", "“小伙子,出门一"),
        ("body", "博爱县在全县设立"),
        ("body", "该县组织党员志愿"),
        ("heading", "通许县家校联动 "),
        ("body", "连日来,通许县深"),
        ("byline", "(张刚军)"),
    ]
    assert only(page, "该县组织党员志愿者们在卡口值守").text.endswith("测温登记。")
    check_invariants(page)


def test_no_heading_anywhere_gives_one_untitled_article() -> None:
    page = parse_page("全县设立卡点396个,严防输入。\n\n村民有序排队做核酸检测。")
    assert [(a.title, a.headings, len(a.blocks)) for a in page.articles] == [("", (), 2)]


def test_body_before_the_first_article_is_an_untitled_article() -> None:
    page = parse_page("# 版面\n\n导语一段。\n\n## 甲\n\n正文。\n\n## 乙\n\n正文。")
    assert [(a.title, a.headings) for a in page.articles] == [
        ("", ("版面",)),
        ("甲", ("版面", "甲")),
        ("乙", ("版面", "乙")),
    ]


@pytest.mark.parametrize(
    ("text", "final"),
    [
        ("构筑起了疫情防控坚强屏障。", True),
        ("“我是党员我先行。”", True),
        ("请党组织把我派到防汛第一线!”", True),
        ("确保实现“平安开学”目标。(张刚军)", True),
        ("实现了辖区老旧小区、“三无楼院”", False),
        ("以镇(街道)", False),
        ("全县78个县直单位包", False),
        ("", False),
    ],
)
def test_ends_sentence(text: str, final: bool) -> None:
    assert ends_sentence(text) is final


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("以新发展蓝图为指引,扎实推进各项工作。", "body"),
        ("图:志愿者在卡口值守", "caption"),
        ("村民排队接受核酸检测。(本报记者 张三 摄)", "caption"),
        ("(张三 摄)", "byline"),
        ("责任编辑:李四 版式设计:王五", "furniture"),
        ("#话题#", "body"),
        ("记者从县委组织部获悉,该县设立卡点。", "body"),
    ],
)
def test_classify_line(line: str, kind: str) -> None:
    assert classify_line(line)[0] == kind


def test_read_page_accepts_path_bytes_text_and_page(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(PLAIN, encoding="gbk")
    from_path = read_page(path)
    assert from_path.source == str(path)
    assert read_page(path.read_bytes()).articles == from_path.articles
    assert read_page(PLAIN).articles == from_path.articles
    assert read_page(from_path) is from_path
    assert read_page(str(path)).articles[0].blocks[0].text == str(path)  # a str is page text


def test_read_page_refuses_other_types() -> None:
    with pytest.raises(UsageError, match=r"got int.*pathlib\.Path"):
        read_page(42)  # type: ignore[arg-type]


def test_long_inputs_parse() -> None:
    # Guards against quadratic behaviour: these take well under a second when linear.
    paragraph = "疫情防控" * 25_000 + "。"
    assert parse_page(paragraph).articles[0].blocks[0].text == paragraph
    page = parse_page("\n\n".join(["## 标题", "未完的一段", "接上的一段。"] * 5000))
    assert len(page.articles) == 5000 and len(list(page.taggable())) == 5000


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
TEXT = st.text(st.one_of(HAN, HAN, HAN, st.sampled_from(list(",、“”:0123456789 ab"))), max_size=60)
NAME = st.text(HAN, min_size=2, max_size=3)
ELEMENT = st.one_of(
    st.builds(lambda t, end: t + end, TEXT, st.sampled_from(["。", "!", "？", "。”", "…", ""])),
    st.builds(lambda n, t: "#" * n + " " + t, st.integers(1, 5), TEXT),
    st.builds("□本报记者 {} 通讯员 {}".format, NAME, NAME),
    st.builds("({} {})".format, NAME, NAME),
    st.builds("本报记者 {} 摄".format, NAME),
    st.builds("{}\n\n{}。".format, TEXT, TEXT),
    st.builds("{}图为{}。".format, TEXT, TEXT),
    st.sampled_from(["本版联办单位:  ", "**中共河南省委组织部**  ", "群号:463465900"]),
)
SEPARATOR = st.sampled_from(["\n", "\n\n", "  \n", "\n\n\n\n", "\n \n", " "])


@st.composite
def pages(draw: st.DrawFn) -> str:
    elements = draw(st.lists(ELEMENT, max_size=20))
    text = "".join(element + draw(SEPARATOR) for element in elements)
    return text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))


@settings(max_examples=300, deadline=None)
@given(pages())
def test_generated_pages_keep_every_character(raw: str) -> None:
    page = parse_page(raw)
    assert page.text == raw.replace("\r\n", "\n").replace("\r", "\n")
    check_invariants(page)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_keeps_every_character(raw: str) -> None:
    check_invariants(parse_page(raw))


ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-sig": lambda text: text.encode("utf-8-sig"),
    "utf-16-le": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "gb18030": lambda text: text.encode("gb18030"),
    "gbk": lambda text: text.encode("gbk"),
}
# Encoding detection is statistical: a two-character GBK text can be valid UTF-8. Real pages
# have at least one ordinary paragraph, so each generated page starts with one.
LEAD = "疫情防控工作启动以来,各级党组织迅速行动。\n\n"


@settings(max_examples=100, deadline=None)
@given(pages(), st.sampled_from(sorted(ENCODINGS)))
def test_encoding_round_trip(raw: str, encoding: str) -> None:
    text = LEAD + raw
    assert read_page(ENCODINGS[encoding](text)).articles == parse_page(text).articles


SEED_BLOCKS = Path(__file__).parent / "fixtures" / "seed-blocks.jsonl"


def test_seed_page_blocks_are_unchanged(seed: Page) -> None:
    # Written from the reader before web-page support; the 47 tagged records must not move.
    expected = [json.loads(line) for line in SEED_BLOCKS.read_text("utf-8").splitlines()]
    found = [
        {"article": a.title, "index": i, "kind": b.kind, "start": b.start, "end": b.end}
        | {"level": b.level, "text": b.text}
        for a, i, b in seed.blocks()
    ]
    assert found == expected
    assert sum(1 for _ in seed.taggable()) == 47
