"""Web pages: layout detection, web-page structure, dates, HTML extraction, on written fixtures.

Each page under tests/fixtures/pages has an ``.expected.json`` beside it: the layout, the date,
and every article's title with its blocks' kinds and texts. All their text is invented.
"""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger import html_extract, page_dates
from tagger import page as page_module
from tagger.errors import InputError, UsageError
from tagger.html_extract import decode_html, headline_of, looks_like_html
from tagger.inputs import Skipped, read_pages
from tagger.layout import PRINT, WEB
from tagger.page import Page, classify_line, parse_html, parse_page, read_page
from tagger.page_dates import iso_date

from .support import SEED_PAGE, SHARED_DATA
from .test_page import HAN, NAME, TEXT, check_invariants

PAGES = Path(__file__).parent / "fixtures" / "pages"
FIXTURES = sorted(p for p in PAGES.iterdir() if p.suffix in {".txt", ".html", ".htm"})
EXPECTED = [p for p in FIXTURES if p.with_suffix(".expected.json").exists()]


def structure(page: Page) -> dict[str, object]:
    return {
        "layout": page.layout,
        "published": page.published,
        "articles": [
            {"title": a.title, "blocks": [[b.kind, b.text] for b in a.blocks]}
            for a in page.articles
        ],
    }


def test_there_are_a_dozen_fixture_pages_in_every_style() -> None:
    assert len(EXPECTED) >= 12
    suffixes = {p.suffix for p in EXPECTED}
    assert {".txt", ".html", ".htm"} <= suffixes
    layouts = {
        json.loads(p.with_suffix(".expected.json").read_text("utf-8"))["layout"] for p in EXPECTED
    }
    assert layouts == {PRINT, WEB}


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name)
def test_fixture_page_gives_the_expected_articles_and_kinds(path: Path) -> None:
    page = read_page(path)
    expected = json.loads(path.with_suffix(".expected.json").read_text("utf-8"))
    assert structure(page) == expected
    check_invariants(page)


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name)
def test_web_article_title_is_the_headline_never_a_site_or_breadcrumb(path: Path) -> None:
    page = read_page(path)
    furniture = {b.text for _, _, b in page.blocks() if b.kind == "furniture"}
    for article, _, block in page.taggable():
        assert article.title, f"untitled paragraph {block.text[:20]!r}"
        assert article.title not in furniture
        assert "首页" not in article.title and "位置" not in article.title


FURNITURE = [
    "您的位置：首页 > 新闻中心 > 乡镇动态",
    "当前位置：首页 > 政务公开",
    "首页 > 云岭新闻 > 社会",
    "关键词：核酸检测 疫情防控",
    "标签：防疫宣传 农村",
    "责任编辑：李青",
    "【责任编辑：马丽】",
    "编辑：李四",
    "审核：王五",
    "来源：青禾县融媒体中心",
    "作者：赵明",
    "发布时间：2022-03-05 10:23:41 来源：青禾县融媒体中心 浏览次数：1265",
    "2022-02-09 16:40:12 | 来源：云岭广播电视台 | 阅读：3021",
    "原创 柳湾发布 柳湾发布 2022-01-03 18:30 发表于云岭",
    "声明：转载此文是出于传递更多信息之目的。若有侵权，请联系删除。",
    "凡本网注明“来源：青禾县融媒体中心”的作品，版权均属青禾县融媒体中心。",
    "分享到：",
    "分享 收藏 点赞 在看",
    "【打印本页】 【关闭窗口】",
    "点击查看全文",
    "阅读原文",
    "相关推荐",
    "猜你喜欢",
    "上一篇：青禾县召开疫情防控工作调度会",
    "下一篇：",
    "青禾县融媒体中心",
    "云岭广播电视台",
    "柳湾发布",
    "版权所有：青禾县融媒体中心 备案号：豫ICP备00000000号",
    "- END -",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_web_furniture_lines(line: str) -> None:
    assert classify_line(line)[0] == "furniture"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("IMG_20220102_111232.jpg", "caption"),
        ("![图片](https://example.invalid/a.jpg)", "caption"),
        ("图片", "caption"),
        ("石桥村供图", "caption"),
        ("▲志愿者在小区门口查验健康码", "caption"),
        ("文/陈晓 图/刘洋", "byline"),
        ("文字：张三 摄影：李四 视频：王五", "byline"),
        ("图：志愿者在卡口值守", "caption"),
        ("原标题：青禾县开展核酸检测", "furniture"),
        ("本文转自：云岭日报", "furniture"),
        ("出品：青禾县融媒体中心", "furniture"),
        # Prose and titles that must stay what they are.
        ("有需要的群众可以联系我们，我们会尽快上门服务。", "body"),
        ("为抗疫一线的志愿者们点赞！", "body"),
        ("织密疫情防控网", "body"),
        ("2022年3月5日，我县开展第三轮全员核酸检测。", "body"),
        ("来源于群众的建议被一一采纳。", "body"),
        ("居民扫码后进入小区。", "body"),
        ("疫情防控最新通告发布", "body"),
    ],
)
def test_captions_bylines_and_prose_that_is_not_furniture(line: str, kind: str) -> None:
    assert classify_line(line)[0] == kind


def test_ui_bar_pattern_stays_fast_on_long_digit_runs() -> None:
    # A repeated group over digits backtracks exponentially unless it is possessive.
    assert classify_line("1" * 70 + "x") == ("body", "no rule matched")


def test_mixed_page_joins_wrapped_prose_but_never_the_headline() -> None:
    page = read_page(PAGES / "mixed-layout.txt")
    assert page.layout == WEB
    (wrapped,) = [b for _, _, b in page.blocks() if "发热门诊" in b.text]
    assert wrapped.text.endswith("祥和的春节。")
    assert page.text[wrapped.start : wrapped.end].count("\n") == 2  # three lines
    assert page.articles[0].title == "云溪县卫健委：做好春节前后疫情防控"


def test_seed_page_is_print_and_a_web_copy_of_it_is_web() -> None:
    seed = read_page(SEED_PAGE)
    assert seed.layout == PRINT and seed.published is None
    lines = [line.strip() for line in seed.text.splitlines() if line.strip()]
    assert parse_page("\n".join(lines)).layout == PRINT  # its markdown headings say so
    plain = [line for line in lines if not line.startswith("#")]
    assert parse_page("\n".join(plain)).layout == WEB


def test_blank_lines_between_web_paragraphs_keep_the_web_reading() -> None:
    text = (PAGES / "county-web-copy.txt").read_text("utf-8").replace("\n", "\n\n")
    page = parse_page(text)
    assert page.layout == WEB
    assert page.articles[0].title == "青禾县开展第三轮全员核酸检测"


def test_web_layout_repairs_no_headline_into_the_lead() -> None:
    text = "青禾县开展全员核酸检测\n3月4日，青禾县组织开展全员核酸检测。"
    assert [b.kind for _, _, b in parse_page(text, layout=PRINT).blocks()] == ["heading", "body"]
    page = parse_page(text, layout=WEB)
    assert [(a.title, len(a.blocks)) for a in page.articles] == [("青禾县开展全员核酸检测", 2)]


def test_a_line_ending_in_a_colon_or_a_list_item_is_not_a_column_break() -> None:
    lines = [
        "关于做好返乡人员管理的通告",
        "发布日期：2022-01-05",
        "为做好防控工作，现将有关事项通告如下：",
        "一、严格返乡人员管理，提前三天报备行程",
        "二、倡导节日从简。",
    ]
    text = "\n".join(lines)
    page = parse_page(text, layout=WEB)
    assert [b.text[:2] for _, _, b in page.taggable()] == ["为做", "一、", "二、"]
    assert page.articles[0].title == "关于做好返乡人员管理的通告"


def test_unknown_layout_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="layout: expected one of print, web"):
        parse_page("x", layout="scan")


def test_a_title_from_metadata_titles_a_page_without_a_headline_line() -> None:
    page = parse_page("3月4日，全县开展核酸检测。", layout=WEB, title="全县开展核酸检测_某网")
    assert page.articles[0].title == "全县开展核酸检测_某网"
    page = parse_page(
        "某网\n全县开展核酸检测\n3月4日，全县开展核酸检测。", title="全县开展核酸检测_某网"
    )
    assert [b.kind for _, _, b in page.blocks()] == ["furniture", "heading", "body"]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("发布时间：2022-03-05 10:23:41", "2022-03-05"),
        ("2022年1月5日", "2022-01-05"),
        ("2022/1/5 08:00", "2022-01-05"),
        ("2022.01.05", "2022-01-05"),
        ("2022-13-45 发布于 2022-02-01", "2022-02-01"),
        ("3月4日", None),
    ],
)
def test_iso_date(text: str, date: str | None) -> None:
    assert iso_date(text) == date


def test_the_labelled_publication_date_wins_over_other_dates() -> None:
    text = "标题在此处\n活动时间：2021-12-30\n发布时间：2022-01-02\n正文，全县开展检测。"
    assert parse_page(text).published == "2022-01-02"
    assert parse_page("正文里的日期2022年1月2日不算。\n另一段。").published is None


# HTML


def test_html_offsets_refer_to_the_extracted_text() -> None:
    page = read_page(PAGES / "county-site.html")
    assert "<" not in page.text and "网友评论" not in page.text and "_hmt" not in page.text
    for _, _, block in page.blocks():
        assert page.text[block.start : block.end] == block.text


def test_gbk_html_is_read_from_its_meta_charset() -> None:
    data = (PAGES / "gbk-portal.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"charset=gb2312" in data
    assert "云溪县新冠肺炎疫情防控指挥部" in decode_html(data, "gbk-portal.html")


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("utf-8", "gbk"), ("gb2312", "utf-8"), ("iso-8859-1", "gbk"), ("no-such-charset", "gbk")],
)
def test_a_mislabelled_charset_is_overruled_by_the_bytes(declared: str, encoding: str) -> None:
    html = f'<html><head><meta charset="{declared}"></head><body><p>全县开展核酸检测。</p></body>'
    assert "全县开展核酸检测" in decode_html(html.encode(encoding), "page.html")


def test_html_bytes_are_recognised_and_htm_files_read_as_html(tmp_path: Path) -> None:
    data = (PAGES / "city-daily.htm").read_bytes()
    assert looks_like_html(data) and looks_like_html(b"\n<!-- saved -->\n<HTML><body></body>")
    assert not looks_like_html("全县开展核酸检测。<br>".encode())
    assert read_page(data).articles == read_page(PAGES / "city-daily.htm").articles
    copy = tmp_path / "PAGE.HTM"
    copy.write_bytes(data)
    assert read_page(copy).articles == parse_html(data).articles


def test_a_page_without_article_text_is_skipped_with_a_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><body><script>var a = 1;</script></body></html>", "utf-8")
    with pytest.raises(InputError, match=r"no-article\.html: no article text found"):
        read_page(PAGES / "no-article.html")
    found = list(read_pages([str(PAGES / "no-article.html"), str(empty)]))
    assert [str(item) for item in found if isinstance(item, Skipped)] == [
        f"{PAGES / 'no-article.html'}: {found[0].reason}",
        f"{empty}: {found[1].reason}",
    ]
    assert all(item.reason.startswith("no article text found") for item in found)


def test_trafilatura_is_imported_only_when_an_html_page_is_read() -> None:
    code = (
        "import sys, pathlib, tagger.cli, tagger.inputs, tagger.page\n"
        f"tagger.page.read_page(pathlib.Path({str(SEED_PAGE)!r}))\n"
        "print('trafilatura' in sys.modules)\n"
        f"tagger.page.read_page(pathlib.Path({str(PAGES / 'city-daily.htm')!r}))\n"
        "print('trafilatura' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


# No text lost, on both layouts

WEB_LINE = st.one_of(
    TEXT,
    st.builds(lambda t: t + "。", TEXT),
    st.builds("发布时间：2022-0{}-1{} 来源：{}".format, st.integers(1, 9), st.integers(0, 9), NAME),
    st.builds("责任编辑：{}".format, NAME),
    st.builds("IMG_2022010{}_111232.jpg".format, st.integers(1, 9)),
    st.builds("![{}](/a/{}.jpg)".format, NAME, st.integers(0, 99)),
    st.builds("【{}】{}".format, NAME, TEXT),
    st.builds("{}：{}".format, NAME, TEXT),
    st.builds("{}、{}".format, st.sampled_from("一二三四"), TEXT),
    st.builds("▲{}".format, TEXT),
    st.sampled_from(
        [
            "您的位置：首页 > 新闻",
            "相关推荐",
            "分享到：",
            "上一篇：",
            "图片",
            "- END -",
            "2022年1月5日",
        ]
    ),
    st.text(HAN, min_size=1, max_size=8),
)


@st.composite
def web_pages(draw: st.DrawFn) -> str:
    lines = draw(st.lists(WEB_LINE, max_size=25))
    breaks = [draw(st.sampled_from(["\n", "\n", "\n", "\n\n", "\n　　", " \n"])) for _ in lines]
    return "".join(line + brk for line, brk in zip(lines, breaks, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    web_pages(), st.sampled_from([None, PRINT, WEB]), st.sampled_from([None, "全县开展核酸检测"])
)
def test_web_pages_keep_every_character_in_one_block(
    raw: str, layout: str | None, title: str | None
) -> None:
    page = parse_page(raw, layout=layout, title=title)
    assert page.layout in (PRINT, WEB) and (layout is None or page.layout == layout)
    check_invariants(page)


# The command line


def run_tag(args: list[str], saved_model: Path, stdin: bytes | None = None) -> list[dict]:
    from typer.testing import CliRunner

    from tagger.cli import app

    result = CliRunner().invoke(app, ["tag", *args, "-m", str(saved_model)], input=stdin)
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_tag_a_directory_of_txt_md_and_html(saved_model: Path, tmp_path: Path) -> None:
    for name in ("county-web-copy.txt", "county-site.html", "city-daily.htm", "print-wrapped.txt"):
        (tmp_path / name).write_bytes((PAGES / name).read_bytes())
    (tmp_path / "notes.md").write_text("## 村口值守\n\n村口设立卡点，专人值守。\n", "utf-8")
    records = run_tag([str(tmp_path), "-f", "jsonl"], saved_model)
    published = {Path(r["source"]).name: r["published"] for r in records}
    assert published == {
        "city-daily.htm": "2022-02-21",
        "county-site.html": "2022-01-18",
        "county-web-copy.txt": "2022-03-05",
        "notes.md": None,
        "print-wrapped.txt": None,
    }
    titles = {Path(r["source"]).name: r["article"] for r in records}
    assert titles["county-site.html"] == "柳湾镇：党员志愿者守好村口“小门岗”"
    assert titles["county-web-copy.txt"] == "青禾县开展第三轮全员核酸检测"
    assert {r["kind"] for r in records} == {"body", "caption"}
    assert not any("编辑" in r["text"] or "来源" in r["text"] for r in records)


def test_tag_reads_html_from_stdin_and_shows_dropped_furniture(saved_model: Path) -> None:
    data = (PAGES / "gbk-portal.html").read_bytes()
    records = run_tag(["-", "--input-format", "html", "--all-blocks"], saved_model, data)
    assert {r["source"] for r in records} == {"<stdin>"}
    assert {r["published"] for r in records} == {"2022-01-10"}
    assert {r["article"] for r in records} == {"云溪县关于做好返乡人员健康管理的通告"}
    kinds = [(r["kind"], r["text"]) for r in records]
    assert ("furniture", "2022年1月10日") in kinds
    assert ("byline", "云溪县新冠肺炎疫情防控指挥部") in kinds
    text_records = run_tag(["-", "--all-blocks"], saved_model, data)
    assert any("<" in r["text"] for r in text_records)  # without the option: text, markup too


def test_csv_has_a_published_column(saved_model: Path) -> None:
    from typer.testing import CliRunner

    from tagger.cli import app

    page = str(PAGES / "tv-station-web-copy.txt")
    result = CliRunner().invoke(app, ["tag", page, "-m", str(saved_model), "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    header, first, *_ = result.stdout.splitlines()
    assert header.startswith("source,article,published,index,")
    assert first.startswith(f"{page},【战疫一线】云岭市举行疫情防控应急演练,2022-02-09,")


def test_long_web_pages_parse() -> None:
    # Guards against quadratic behaviour: well under a second when linear.
    item = ["柳湾镇开展环境消杀", "2022年1月5日", "全镇开展消杀，清理死角。"]
    page = parse_page("\n".join(item * 5000), layout=WEB)
    assert [b.text for _, _, b in page.taggable()] == [item[2]] * 5000
    page = parse_page("\n".join(["短标题", "相关推荐"] * 10000), layout=WEB)
    assert not list(page.taggable())


REAL_NEWS = SHARED_DATA / "real-news" / "pool.jsonl"


@pytest.mark.skipif(not REAL_NEWS.exists(), reason="../shared/data/real-news is not here")
def test_no_rule_takes_a_real_news_paragraph_for_furniture() -> None:
    # Third-party paragraphs, read in place: every one of them is prose.
    texts = [json.loads(line)["text"] for line in REAL_NEWS.read_text("utf-8").splitlines()]
    typed = [classify_line(text) for text in texts if text.strip()]
    assert len(typed) > 3000
    assert [kind for kind, _ in typed if kind != "body"] == []


@pytest.mark.parametrize(
    ("title", "headline"),
    [
        ("柳湾镇党员志愿者守好村口_青禾县融媒体中心", "柳湾镇党员志愿者守好村口"),
        ("农贸市场里的“防疫哨兵” - 云岭日报", "农贸市场里的“防疫哨兵”"),
        ("红马甲守护居民健康｜东湖社区发布", "红马甲守护居民健康"),
        ("守好“小门岗” 筑牢“大防线”——云岭市见闻", "守好“小门岗” 筑牢“大防线”——云岭市见闻"),
        ("通告_青禾县人民政府", "通告_青禾县人民政府"),  # too short to be a headline alone
    ],
)
def test_a_page_title_loses_the_site_name_after_it(title: str, headline: str) -> None:
    assert headline_of(title) == headline


@pytest.mark.parametrize("module", [page_module, page_dates, html_extract])
def test_reader_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted and not result.failed


def test_sections_titled_like_items_stay_in_one_article_unless_the_page_is_a_digest() -> None:
    body = [
        "压实责任：织密网格管理",
        "全县划分网格，逐户摸排。",
        "强化宣传：营造浓厚氛围",
        "各村广播防疫知识。",
    ]
    article = parse_page("\n".join(["云溪县筑牢基层防控网", "发布时间：2022-03-07", *body]))
    assert [a.title for a in article.articles] == ["云溪县筑牢基层防控网"]
    digest = parse_page("\n".join(["云溪县防疫简讯", "发布时间：2022-03-07", *body]))
    assert [a.title for a in digest.articles] == [body[0], body[2]]
    assert digest.articles[0].headings == ("云溪县防疫简讯", body[0])


def test_a_blank_separated_web_copy_without_a_date_line_is_still_web() -> None:
    text = "青禾县融媒体中心\n\n石桥村“大喇叭”响起来\n\n清晨六点，大喇叭准时响起。\n\n分享到："
    page = parse_page(text)
    assert page.layout == WEB and page.articles[0].title == "石桥村“大喇叭”响起来"


def test_a_caption_under_an_image_above_the_lead_is_no_sub_headline() -> None:
    lines = ["青禾县开展全员核酸检测", "来源：青禾县融媒体中心", "IMG_0001.jpg", "居民有序排队"]
    kinds = [
        b.kind for _, _, b in parse_page("\n".join([*lines, "3月4日，全县开展检测。"])).blocks()
    ]
    assert kinds == ["heading", "furniture", "caption", "caption", "body"]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("首页 政务公开 政务服务 互动交流 走进云溪 专题专栏", "furniture"),
        ("首页 | 新闻 | 政务 | 服务", "furniture"),
        ("本报记者 曹相飞 通讯员 李中贺 摄", "byline"),
        ("战疫情 保平安 促发展 惠民生", "body"),
        ("No Chinese here at all.", "body"),
        ("Home News About Contact Login", "body"),
    ],
)
def test_navigation_bars(line: str, kind: str) -> None:
    assert classify_line(line)[0] == kind


def test_an_unknown_stdin_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="stdin_format: expected one of text, html"):
        list(read_pages(["-"], "xml"))


def test_an_exclaimed_headline_and_a_greeting_bar() -> None:
    lines = ["欢迎访问青禾县人民政府网！今天是2022年3月5日，星期六。", "战疫一线，他们逆行而上！"]
    page = parse_page("\n".join([*lines, "3月4日，全县二百余名党员下沉社区，协助开展核酸检测。"]))
    assert page.articles[0].title == "战疫一线，他们逆行而上！"
    assert [b.kind for _, _, b in page.blocks()] == ["furniture", "heading", "body"]
