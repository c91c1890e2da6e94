"""Tagged pages as one self-contained HTML reading view, and the HTML pieces reports share.

Every page this module writes loads nothing from anywhere: styles are inline, and a
Content-Security-Policy forbids the browser to fetch scripts, fonts, frames or remote images
even if some text slipped through unescaped.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterable, Sequence
from html import escape
from typing import TextIO

from tagger.files import shown_path
from tagger.tagging import TaggedBlock

__all__ = [
    "REPORT_CSS",
    "document",
    "label_chip",
    "label_colours",
    "page_head",
    "page_tail",
    "write_html",
]

# Tableau 10: distinct at a glance and for most colour-blind readers. A label keeps its colour
# by its position in the label set, so the reading view and the report agree.
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_UNKNOWN = "#888888"
_HINT = "Hover a paragraph, or its score bars, for every label's score."
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# A chip's look: in the stylesheet, coloured by the label's class, and inline for HTML shown
# inside a page that lacks the stylesheet (a notebook's output).
_CHIP_STYLE = (
    "display:inline-block;padding:0 .5em;margin:0 .3em .2em 0;border-radius:.8em;"
    "font-size:13px;line-height:1.6;white-space:nowrap"
)
_CHIP_CODE_STYLE = "color:#555;margin-left:.3em"

_BASE_CSS = (
    """
body{font:15px/1.7 "Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",
 sans-serif;color:#222;background:#fafafa;margin:0;padding:1.5em 2em;max-width:70em}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.25em;margin:1.6em 0 .4em;
 border-bottom:2px solid #ddd;word-break:break-all}h3{font-size:1.1em;margin:1.2em 0 .4em}
code{font:12px/1.2 ui-monospace,monospace}
.muted{color:#888}
"""
    + f".chip{{{_CHIP_STYLE};border:1px solid var(--c);background:var(--t)}}\n"
    + f".chip code{{{_CHIP_CODE_STYLE}}}\n"
    + ".legend{margin:.4em 0 1em}\n"
)

REPORT_CSS = """
table.metrics{border-collapse:collapse;background:#fff;margin:.5em 0}
table.metrics th,table.metrics td{border-bottom:1px solid #e5e5e5;padding:.25em .8em}
table.metrics td.n{text-align:right;font-variant-numeric:tabular-nums}
table.metrics tr.avg td{background:#f4f4f4}
.cards{display:flex;flex-wrap:wrap;gap:1em}
.card{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:.6em .8em}
.card p{margin:.2em 0;font-size:13px;color:#555}
table.errors{width:100%;table-layout:fixed}.errors td{vertical-align:top}
.errors th:nth-child(1){width:9em}.errors th:nth-child(3),.errors th:nth-child(4){width:12em}
.errors th:nth-child(5){width:14em}.errors td.where{word-break:break-all}
.errors .chip{display:block;width:fit-content;max-width:100%;white-space:normal}
.miss{outline:2px dashed #c00;outline-offset:-1px}.extra{outline:2px solid #c00}
.scorelist{font-size:12px;white-space:nowrap}
.warning{background:#fff4e5;border-left:4px solid #e8a33d;padding:.4em .8em}
"""

_VIEW_CSS = """
.article{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:.4em 1.2em 1em;
 margin:.8em 0}
.block{display:grid;grid-template-columns:3.2em 1fr 4.5em;gap:.8em;padding:.45em 0;
 border-top:1px solid #f0f0f0}
.block:first-of-type{border-top:0}
.idx{color:#aaa;font-size:12px;text-align:right;padding-top:.3em;text-decoration:none}
.text{margin:0;white-space:pre-wrap}
.chips{margin-top:.2em}
.untagged{color:#999}.untagged .text{font-size:14px}
.kind{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:#aaa;margin-right:.6em}
.none{font-size:12px;color:#bbb}
.scores{position:relative;display:flex;align-items:flex-end;gap:2px;height:2.2em;
 padding:2px;border-bottom:1px solid #ccc;cursor:help}
.scores i{flex:1;background:var(--c);min-height:1px;opacity:.45}
.scores i.on{opacity:1}
.tip{display:none;position:absolute;right:0;top:2.6em;z-index:2;background:#fff;
 border:1px solid #bbb;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.15);padding:.4em .6em;
 font-size:12px;line-height:1.5;white-space:nowrap}
.scores:hover .tip,.scores:focus .tip{display:block}
.tip td{padding:0 .4em}.tip td.n{text-align:right;font-variant-numeric:tabular-nums}
.tip tr.on{font-weight:bold}
footer{margin-top:2em;color:#666;font-size:13px}
"""


def label_colours(labels: Sequence[str]) -> list[str]:
    """One fixed colour per label, by position; past ten labels the hues go round a circle."""
    colours = list(_PALETTE[: len(labels)])
    for i in range(len(colours), len(labels)):
        # The golden-angle step keeps neighbouring extra labels far apart in hue.
        red, green, blue = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.5, 0.55)
        colours.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    return colours


def _tint(colour: str, amount: float = 0.2) -> str:
    """``colour`` mixed with white, for chip backgrounds that keep dark text readable."""
    rgb = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - (255 - c) * amount):02x}" for c in rgb)


def _label_css(labels: Sequence[str]) -> str:
    # Classes go by position because a label id need not be a valid CSS identifier.
    rules = [f".l{i}{{--c:{c};--t:{_tint(c)}}}" for i, c in enumerate(label_colours(labels))]
    rules.append(f".lx{{--c:{_UNKNOWN};--t:{_tint(_UNKNOWN)}}}")
    return "\n".join(rules)


def page_head(title: str, labels: Sequence[str], extra_css: str = "") -> str:
    """The start of a self-contained page, up to and including ``<body>``."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_BASE_CSS}{_label_css(labels)}\n{extra_css}"
        "</style>\n</head>\n<body>\n"
    )


def page_tail() -> str:
    return "</body>\n</html>\n"


def document(title: str, body: str, labels: Sequence[str], extra_css: str = "") -> str:
    """A whole self-contained page around ``body`` (which must already be escaped HTML)."""
    return page_head(title, labels, extra_css) + body + page_tail()


def label_chip(
    label: str, labels: Sequence[str], label_names: dict[str, str], *, inline: bool = False
) -> str:
    """A coloured chip: the label's Chinese name (when known) and its id.

    ``inline`` puts the style in the chip itself, for HTML shown without this module's
    stylesheet (``document`` and ``page_head`` carry it).
    """
    position = labels.index(label) if label in labels else None
    if inline:
        colour = _UNKNOWN if position is None else label_colours(labels)[position]
        style = f"{_CHIP_STYLE};border:1px solid {colour};background:{_tint(colour)}"
        opening = f'<span style="{style}">'
        code = f'<code style="{_CHIP_CODE_STYLE}">{escape(label)}</code>'
    else:
        opening = f'<span class="chip {"lx" if position is None else f"l{position}"}">'
        code = f"<code>{escape(label)}</code>"
    name = label_names.get(label, "")
    return f"{opening}{escape(name)}{code}</span>" if name else f"{opening}{code}</span>"


def _legend(labels: Sequence[str], label_names: dict[str, str]) -> str:
    chips = "".join(label_chip(label, labels, label_names) for label in labels)
    return f'<div class="legend">{chips}</div>\n'


def _scores_title(record: TaggedBlock, labels: Sequence[str], names: dict[str, str]) -> str:
    """Plain-text scores for the native hover tooltip; a tick marks each label given."""
    lines = ["scores:"]
    for label in labels:
        if label in record.scores:
            mark = " ✓" if label in record.labels else ""
            lines.append(f"{names.get(label, '')} {label} {record.scores[label]:.3f}{mark}".strip())
    return "\n".join(lines)


def _score_bars(record: TaggedBlock, labels: Sequence[str], names: dict[str, str]) -> str:
    """A small bar per label, with a CSS tooltip table of exact scores on hover or focus."""
    bars, rows = [], []
    for i, label in enumerate(labels):
        score = record.scores.get(label, 0.0)
        on = ' class="on"' if label in record.labels else ""
        bars.append(f'<i class="l{i}{" on" if on else ""}" style="height:{score * 100:.0f}%"></i>')
        rows.append(
            f"<tr{on}><td>{escape(names.get(label, ''))}</td><td><code>{escape(label)}</code></td>"
            f'<td class="n">{score:.3f}</td></tr>'
        )
    return (
        f'<div class="scores" tabindex="0" aria-label="scores">{"".join(bars)}'
        f'<div class="tip"><table>{"".join(rows)}</table></div></div>'
    )


def _block(record: TaggedBlock, anchor: str, labels: Sequence[str], names: dict[str, str]) -> str:
    index = f'<a class="idx" id="{anchor}" href="#{anchor}">#{record.index}</a>'
    if not record.scores:
        # Headings, bylines and furniture (shown only with --all-blocks): greyed, no labels.
        return (
            f'<div class="block untagged">{index}<p class="text"><span class="kind">'
            f"{escape(record.kind)}</span>{escape(record.text)}</p><div></div></div>\n"
        )
    chips = "".join(label_chip(label, labels, names) for label in record.labels)
    title = escape(_scores_title(record, labels, names))
    caption = '<span class="kind">caption</span>' if record.kind == "caption" else ""
    return (
        f'<div class="block {escape(record.kind)}">{index}<div><p class="text" title="{title}">'
        f"{caption}{escape(record.text)}</p>"
        f'<div class="chips">{chips or "<span class=none>no label</span>"}</div></div>'
        f"{_score_bars(record, labels, names)}</div>\n"
    )


def write_html(
    records: Iterable[TaggedBlock], out: TextIO, labels: Sequence[str], label_names: dict[str, str]
) -> int:
    """Write tagged blocks as an article-by-article reading view; return how many were written.

    Records are streamed in page order, so a long run never holds more than one block in
    memory: a new source or article title starts a new section.
    """
    out.write(page_head("tagger: tagged pages", labels, _VIEW_CSS))
    out.write(f"<h1>Tagged pages</h1>\n{_legend(labels, label_names)}")
    out.write(f'<p class="muted">{_HINT}</p>\n')
    count = tagged = 0
    per_label = dict.fromkeys(labels, 0)
    sources: list[str] = []
    article: str | None = None
    for record in records:
        if not sources or record.source != sources[-1]:
            if sources:
                out.write("</section>\n</section>\n")
            sources.append(record.source)
            out.write(f'<section class="source">\n<h2>{escape(shown_path(record.source))}</h2>\n')
            article = None
        if record.article != article:
            if article is not None:
                out.write("</section>\n")
            article = record.article
            heading = escape(article) if article else '<span class="muted">(untitled)</span>'
            out.write(f'<section class="article">\n<h3>{heading}</h3>\n')
        out.write(_block(record, f"s{len(sources)}-b{record.index}", labels, label_names))
        count += 1
        tagged += bool(record.scores)
        for label in record.labels:
            per_label[label] = per_label.get(label, 0) + 1
    if sources:
        out.write("</section>\n</section>\n")
    else:
        out.write('<p class="muted">No blocks to show.</p>\n')
    totals = "".join(
        f"{label_chip(label, labels, label_names)}{n}&emsp;" for label, n in per_label.items()
    )
    out.write(
        f"<footer>{len(sources)} source{'s' * (len(sources) != 1)}, {count} blocks, "
        f"{tagged} tagged paragraphs. Paragraphs per label: {totals}</footer>\n"
    )
    out.write(page_tail())
    return count
