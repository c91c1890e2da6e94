"""Page text -> typed lines: the one table of line rules, and the shape of a sentence or title.

Every reader of a page (print layouts, web copies, text extracted from HTML) types each
non-blank line with :data:`RULES` first; context then refines some kinds (see ``tagger.page``
and ``tagger.web_structure``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["RULES", "Line", "Rule", "classify_line", "ends_sentence", "split_lines"]
__all__ += ["starts_continuation", "title_shaped"]


class Rule(NamedTuple):
    kind: str
    pattern: re.Pattern[str]
    reason: str
    opens_run: bool = False  # the lines after it are furniture too (see tagger.page)
    meta: bool = False  # a date, source or author line under a headline; may carry the date
    web: bool = False  # only web pages have such lines (site names, share bars, related links)


# A letter that is neither ASCII nor a digit: in practice a Chinese character. Spelled as a
# negated class because an explicit range of CJK code points makes every pattern that repeats
# it take milliseconds to compile, and these patterns compile on every start.
_HAN = r"[^\W\d_a-zA-Z]"
_NAME = f"(?:{_HAN}{{2,4}}|{_HAN}{{1,6}}·{_HAN}{{1,8}})"
_NAMES = f"{_NAME}(?:[\\s、,，]+{_NAME}){{0,4}}"
_ROLE = "(?:(?:本报|本刊|本台|新华社)?(?:特约|见习|实习|首席|摄影)?记者|通讯员|实习生)"
_CREDIT_PART = f"(?:{_ROLE}[\\s:：]*)?(?:{_NAME}|摄影?|报道|供图)"
_CREDIT = f"{_ROLE}[\\s:：]*{_NAME}(?:[\\s、,，:：]+{_CREDIT_PART}){{0,8}}"
_CONTACT = "(?:邮箱|信箱|网址|公众号|群名称|群号|QQ群|邮编|传真)"
_STAFF = (
    "(?:责任编辑|责编|版式设计|版式|美术编辑|美编|校对|编辑|制图|审校|终审|值班编辑"
    "|审核|初审|复审|二审|三审|审签|签发|监制|统筹|策划|主编|出品|制作)"
)
_MEDIA_ROLE = "(?:文/图|文图|图文|文字|文|图片|图|摄影|摄像|视频|撰稿|拍摄|剪辑|配音)"
# Credits are short. The look-ahead also caps the work a name-list pattern can do on a long line.
_SHORT = "(?=.{1,60}$)"
_OPEN = r"[*_\s【\[(（]*"
_SEP = r"\s*[:：|｜丨]"
# A date with its year, as pages write it: 2022-03-05, 2022/3/5, 2022.03.05, 2022年3月5日.
DATE = r"(?:19|20)\d{2}\s*(?:[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}|年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?)"
_TIME = r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
_META_KEY = (
    "(?:来源|信息来源|稿件来源|稿源|文章来源|作者|发布时间|发布日期|发表时间|更新时间|"
    "浏览(?:次数|量)?|阅读(?:次数|量|数)?|点击(?:数|量|率|次数)?|访问量|访问次数|"
    "发布者|发布人|发布机构|发布单位|供稿单位|字号|字体|原标题|转自|转载自)"
)
# A line made only of a page's buttons: share, print, close, font size and their counts.
_UI_WORD = (
    "(?:分享到?|收藏(?:本页)?|点赞|在看|转发|评论|打印(?:本页|此页|文章)?|关闭(?:窗口|本页)?"
    "|返回(?:顶部|首页|列表)?|我要纠错|纠错|字[体号]|[大中小]|微信|微博|QQ空间|QQ|朋友圈"
    "|复制链接|举报|写留言|留言|赞|T|网站地图|联系我们|关于我们|\\d+)"
)
_RELATED = (
    "(?:相关(?:推荐|阅读|新闻|文章|链接|报道|稿件)|猜你喜欢|延伸阅读|推荐阅读|热门(?:推荐|文章|新闻)"
    "|往期(?:推荐|回顾|精彩)|精彩推荐|更多(?:新闻|精彩|阅读)|最新(?:新闻|文章)|热点(?:新闻|推荐)"
    "|你可能(?:还)?(?:感兴趣|喜欢)|网友评论|发表评论|精彩评论|全部评论|精选留言)"
)
_IMAGE_SUFFIX = r"\.(?:[jJ][pP][eE]?[gG]|[pP][nN][gG]|[gG][iI][fF]|[wW][eE][bB][pP]|[bB][mM][pP])"
_SITE = (
    "(?:融媒体中心|融媒|新闻网|新闻中心|广播电视台|电视台|日报社|报社|人民政府门户网站|门户网站"
    "|人民政府网|政府网|客户端|微信公众号|官方微信|官方微博)"
)

# (kind, pattern, reason, flags): tried in order on each stripped non-blank line; the first
# match types it, else it is body. Flags: "run" opens a furniture run, "meta" marks a date,
# source or author line (a web page's headline sits above these), "web" a line that only the
# page around a web article has.
# Bylines come before captions so that a line that is only "(张三 摄)" is a credit, while a
# caption ending in such a credit is still a caption.
_TABLE = (
    ("heading", r"^#{1,6}(?:\s|$)", "markdown heading", ""),
    ("furniture", r"^[*_\s]*本版(?:联办|协办|主办|承办)?单位", "sponsors' notice", "run"),
    ("furniture", f"^(?=.{{1,80}}$).{{0,30}}?{_CONTACT}\\s*[:：]", "contact line", ""),
    (
        "furniture",
        f"^(?=.{{1,80}}$){_OPEN}(?:本版)?{_STAFF}(?:[\\s:：|｜丨/]|$)",
        "staff credit",
        "",
    ),
    ("furniture", r"^(?:https?://|www\.)\S+$", "bare web address", ""),
    ("furniture", r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", "bare e-mail address", ""),
    (
        "furniture",
        r"^\d{4}年\d{1,2}月\d{1,2}日\s*(?:星期|周)[一二三四五六日天]",
        "dateline",
        "meta",
    ),
    # Web pages: the lines around an article that are not the article.
    (
        "furniture",
        r"^(?=.{1,120}$)[\s【\[]*(?:您的?(?:当前)?(?:所在)?位置|当前位置|所在位置)\s*[:：]?",
        "breadcrumb",
        "web",
    ),
    (
        "furniture",
        r"^(?=.{1,100}$)(?:首页|主页|网站首页)(?:\s*(?:>>?|＞|»|›|→|/)\s*[^。，！？>＞»›→]{1,20})+"
        r"\s*(?:>>?|＞|»|›)?$",
        "breadcrumb",
        "web",
    ),
    (
        "furniture",
        r"^(?=.{1,150}$)[\s【\[]*(?:关键[词字]|标签|Tags?|TAG)[\s】\]]*[:：]",
        "keywords",
        "web",
    ),
    (
        "furniture",
        f"^(?=.{{1,160}}$)[^。，！？；]{{0,40}}?{_META_KEY}(?:\\s*[】\\]])?{_SEP}",
        "source, date or view-count line",
        "meta web",
    ),
    (
        "furniture",
        f"^(?=.{{1,60}}$)[^。，！？；]{{0,40}}?(?:时间|日期){_SEP}\\s*{DATE}",
        "source, date or view-count line",
        "meta web",
    ),
    (
        "furniture",
        f"^(?=.{{1,80}}$)[^。，！？；]{{0,40}}?{DATE}{_TIME}(?:\\s+[^。，！？；]{{0,30}})?$",
        "date line",
        "meta",
    ),
    (
        "furniture",
        r"^(?=.{1,400}$)[\s【\[(（]*(?:(?:免责|版权|郑重|特别)?声明|凡本(?:网|站|报|号)注明"
        r"|本(?:网|站|号|平台)(?:所?(?:刊发|转载|发布))?(?:的)?(?:文章|稿件|内容|作品|图片))",
        "reposting or copyright notice",
        "web",
    ),
    (
        "furniture",
        r"^(?=.{1,200}$).{0,60}?(?:版权所有|[Cc]opyright|©|ICP[备证]|公网安备|网站标识码"
        r"|技术支持\s*[:：]|主办单位\s*[:：])",
        "site footer",
        "web",
    ),
    (
        "furniture",
        # Possessive: a long run of digits must not be split every possible way before failing.
        f"^(?=.{{1,80}}$)(?=.*[^\\d\\s])[\\s【】\\[\\]|｜丨/:：·]*(?:{_UI_WORD}"
        f"[\\s【】\\[\\]|｜丨/:：·]*)++$",
        "share or print bar",
        "web",
    ),
    ("furniture", r"^(?=.{1,60}$)[\s【\[]*分享(?:到|至)", "share or print bar", "web"),
    ("furniture", r"^(?=.{1,80}$)欢迎(?:您)?(?:访问|光临|来到)", "site greeting", "web"),
    (
        "furniture",
        r"^(?=.{1,30}$)(?!.*[。，！？；]).{0,10}?(?:扫一扫|扫描二维码|长按识别)",
        "QR code",
        "web",
    ),
    (
        "furniture",
        r"^(?=.{1,40}$)[\s【\[>》»]*(?:点击(?:这里|此处)?)?(?:查看|阅读|展开|进入)"
        r"(?:全文|原文|更多|剩余全文|专题)|^(?=.{1,40}$)返回\S{1,6}?[，,]?\s*查看更多",
        "read more",
        "web",
    ),
    (
        "furniture",
        r"^(?=.{1,40}$).{0,8}?(?:点击(?:上方|下方)?蓝字|关注我们|关注公众号|点个?在看)",
        "follow or like prompt",
        "web",
    ),
    ("furniture", r"^[\s\-—_=*·]*(?:END|完|（完）|\(完\))[\s\-—_=*·]*$", "end mark", "web"),
    (
        "furniture",
        r"^(?=.{1,120}$)[\s【\[]*(?:上一篇|下一篇|上一条|下一条|上篇|下篇|前一篇|后一篇)[\s】\]]*(?:[:：]|$)",
        "previous or next link",
        "web",
    ),
    (
        "furniture",
        f"^(?=.{{1,30}}$)[\\s【\\[■▍|#]*{_RELATED}[\\s】\\]：:>»]*$",
        "related links",
        "run web",
    ),
    ("furniture", f"^(?=.{{2,20}}$)[^，。！？\\s]{{0,14}}{_SITE}$", "site name", "web"),
    # An official account's name: 郑州发布, 健康河南发布; a longer line ending so is a headline.
    ("furniture", r"^[^，。！？\s]{2,6}发布$", "site name", "web"),
    ("byline", f"^{_SHORT}[□■]", "□-marked byline", ""),
    ("byline", f"^{_SHORT}[(（]?{_CREDIT}\\s*[)）]?$", "reporter or correspondent credit", "meta"),
    ("byline", f"^{_SHORT}[(（]{_NAMES}(?:\\s*摄影?)?[)）]$", "parenthesised name list", ""),
    ("byline", f"^{_SHORT}{_NAMES}\\s*摄影?$", "photographer credit", ""),
    (
        "byline",
        # "文/陈晓 图/刘洋", "摄影：王五": each role with its names, the whole line.
        f"^{_SHORT}(?:{_MEDIA_ROLE}\\s*[/／|｜丨:：]\\s*{_NAMES}\\s*)+$",
        "slash credit",
        "meta",
    ),
    # Words such as 蓝图为/试图为 contain 图为 without describing a photo.
    ("caption", r"(?<![蓝试企力意地版构草略])图为", "图为 describes a photo", ""),
    ("caption", r"^[上下左右]{0,2}图\s*\d*\s*[:：]", "图: photo label", ""),
    # WeChat and news apps put ▲ (or △, ↑) before the caption under a photo.
    ("caption", r"^[▲△↑]\s*\S", "▲ marks a photo caption", ""),
    ("caption", r"[(（][^()（）]{0,30}(?:摄|供图|资料图片?)[)）]", "photo credit", ""),
    ("caption", r"[。！？!?][^。！？!?]{2,40}\s摄影?$", "photo credit after text", ""),
    ("caption", r"^(?=.{2,80}$)[^。！？]*\S\s*(?:供图|图片来源\s*[:：].*)$", "photo credit", ""),
    ("caption", f"^(?=.{{1,200}}$)\\S*{_IMAGE_SUFFIX}(?:\\?\\S*)?$", "image file name", "web"),
    ("caption", r"^!\[[^\]]*\]\([^)]*\)$", "markdown image", "web"),
    ("caption", r"^[\[【(（]?(?:图片|图|照片|img|IMG|image)[\]】)）]?$", "image marker", ""),
    # A site's menu: five or more short items, or three and more between bars. Last, so that a
    # list of reporters' names (本报记者 张三 通讯员 李四 摄) is a byline.
    (
        "furniture",
        # Chinese, and no sentence: "No Chinese here at all." has five short words too.
        r"^(?=.{1,120}$)(?=.*[^\x00-\x7f])(?!.*[.!?]$)"
        r"(?:(?:[^\s|｜丨，。！？；]{1,8}\s+){4,}[^\s|｜丨，。！？；]{1,8}"
        r"|(?:[^|｜丨，。！？；]{1,10}[|｜丨]){2,}[^|｜丨，。！？；]{1,10})$",
        "navigation bar",
        "web",
    ),
)
RULES: tuple[Rule, ...] = tuple(
    Rule(kind, re.compile(pattern), reason, "run" in flags, "meta" in flags, "web" in flags)
    for kind, pattern, reason, flags in _TABLE
)

_FINAL = frozenset("。！？；…!?;．.～~")
# A closing quote or bracket ends a sentence only when what it closes did.
_CLOSERS = "”’」』）)》】\"'"
# "…目标。(张刚军)": an author credit glued to the end of a finished paragraph.
_GLUED_CREDIT = re.compile(r"[(（][^()（）]{1,12}[)）]$")
# Plain-text titles: what a title never contains, ends with, and what never opens a sentence.
_NOT_IN_TITLE = frozenset("，,、；;。")
_NOT_TITLE_END = frozenset("的地得和与及或把被对从向将为是了个在“‘「『（(《【")
_CONTINUATION = frozenset("，,、。；;：:）)”’」』》】…—们")
TITLE_MAX = 30


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends a sentence (so a column break cannot fall right after it)."""
    tail = text[-64:].rstrip()
    credit = _GLUED_CREDIT.search(tail)
    if credit is not None and credit.start() > 0:
        tail = tail[: credit.start()].rstrip()
    tail = tail.rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _FINAL


def starts_continuation(text: str) -> bool:
    """Whether ``text`` opens with what only the middle of a sentence can (``，`` ``们`` …)."""
    return bool(text) and text[0] in _CONTINUATION and not text.startswith("——")


def title_shaped(text: str, max_length: int = TITLE_MAX) -> bool:
    """Short, unpunctuated and not cut mid-phrase: the shape of a title in plain text."""
    return (
        2 <= len(text) <= max_length
        and text[-1] not in _NOT_TITLE_END
        and text[0] not in _CONTINUATION
        and _NOT_IN_TITLE.isdisjoint(text)
        and not ends_sentence(text)
    )


def match(stripped: str) -> Rule | None:
    """The first rule that matches a stripped line, or None (a body line)."""
    return next((rule for rule in RULES if rule.pattern.search(stripped)), None)


def classify_line(line: str) -> tuple[str, str]:
    """The kind the rules give one line on its own, and why: ``("byline", "□-marked byline")``.

    Context can still change a kind when the page is parsed (furniture runs, titles, captions
    under an image).
    """
    rule = match(line.strip())
    return (rule.kind, rule.reason) if rule is not None else ("body", "no rule matched")


@dataclass(slots=True)
class Line:
    """One non-blank line: its span in the page, stripped text, and the kind given so far."""

    start: int
    end: int
    text: str
    kind: str
    level: int = 0
    rule: Rule | None = None
    blank_before: bool = False  # a blank line separates it from the line before
    indented: bool = False

    @property
    def opens_run(self) -> bool:
        return self.rule is not None and self.rule.opens_run

    @property
    def meta(self) -> bool:
        return self.rule is not None and self.rule.meta


def split_lines(text: str) -> list[Line]:
    """The non-blank lines of ``text`` (``\\n`` line endings), each typed by :data:`RULES`."""
    lines: list[Line] = []
    pos = 0
    blank = False
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            start = pos + len(raw) - len(raw.lstrip())
            line = Line(start, start + len(stripped), stripped, "body", blank_before=blank)
            line.indented = start > pos
            rule = match(stripped)
            if rule is not None:
                line.kind, line.rule = rule.kind, rule
                if rule.kind == "heading":
                    line.level = len(stripped) - len(stripped.lstrip("#"))
                    line.text = stripped[line.level :].strip()
            lines.append(line)
            blank = False
        else:
            blank = True
        pos += len(raw) + 1
    return lines


# A line this long that ends a sentence is prose, and ends a run of furniture.
PROSE_MIN = 40


def mark_furniture_runs(lines: Iterable[Line], *, heading_ends_run: bool) -> None:
    """Type as furniture every line after one that opens a run (相关推荐, 上一篇, ...) until prose.

    On a print page a heading also ends the run: the next article starts there.
    """
    in_run = False
    for line in lines:
        if heading_ends_run and line.kind == "heading":
            in_run = False
        elif line.opens_run:
            in_run = True
        elif in_run:
            if line.kind == "body" and len(line.text) >= PROSE_MIN and ends_sentence(line.text):
                in_run = False
            else:
                line.kind = "furniture"
