"""HTML pages -> text with one block element per paragraph."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag


_BLOCK = {
    "p", "div", "section", "article", "main", "header", "footer", "aside", "h1", "h2", "h3", "h4",
    "h5", "h6", "ul", "ol", "li", "table", "tr", "blockquote", "pre", "dl", "dt", "dd", "figure",
    "figcaption", "address", "hr",
}
_DROP = {"script", "style", "noscript", "template", "svg", "form", "select", "option", "button",
         "iframe", "nav", "head", "input", "textarea"}


def html_to_text(html: str) -> str:
    """Visible text of an HTML page with one block element per paragraph (real HTML parser)."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    root = soup.body or soup
    out: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    continue
                out.append(re.sub(r"\s+", " ", str(child)))
            elif isinstance(child, Tag):
                name = child.name.lower()
                if name == "br":
                    out.append("\n")
                elif name in _BLOCK:
                    out.append("\n\n")
                    if name == "li":
                        parent = child.parent
                        if parent is not None and parent.name == "ol":
                            out.append(f"{len(child.find_previous_siblings('li')) + 1}. ")
                    walk(child)
                    out.append("\n\n")
                else:
                    walk(child)

    walk(root)
    text = "".join(out)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or ("<body" in head) or (
        head.lstrip().startswith("<") and "</p>" in text[:20000].lower())
