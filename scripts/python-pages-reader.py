#!/usr/bin/env python3
"""The baseline of `seeder bench sources`: a single-threaded Python reader of a pages-articles dump.

bz2 + xml.etree.ElementTree.iterparse + the same first-paragraph rules as seeder, kept simple (regular
expressions): namespace 0 only, redirects skipped, templates, tables, refs, comments, files and tags removed,
links reduced to their label, bold and italic quotes removed. Prints the counts as JSON.
"""
import bz2
import json
import re
import sys
import xml.etree.ElementTree as ET

COMMENT = re.compile(r"<!--.*?-->", re.S)
REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>.*?</ref>", re.S)
TAG = re.compile(r"<[^>]+>")
TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
TABLE = re.compile(r"\{\|.*?\|\}", re.S)
FILE = re.compile(r"\[\[(?:File|Image):[^\[\]]*(?:\[\[[^\]]*\]\][^\[\]]*)*\]\]", re.I)
LINK = re.compile(r"\[\[(?:[^|\]]*\|)?([^\]]*)\]\]")
EXTERNAL = re.compile(r"\[https?://[^\s\]]*\s*([^\]]*)\]")
QUOTES = re.compile(r"'{2,}")
CATEGORY = re.compile(r"\[\[Category:([^|\]]*)")


def abstract(text):
    lead = text.split("\n==", 1)[0]
    lead = COMMENT.sub("", lead)
    lead = REF.sub("", lead)
    previous = None
    while previous != lead:  # nested templates, innermost first
        previous = lead
        lead = TEMPLATE.sub("", lead)
    lead = TABLE.sub("", lead)
    lead = FILE.sub("", lead)
    lead = LINK.sub(r"\1", lead)
    lead = EXTERNAL.sub(r"\1", lead)
    lead = TAG.sub("", lead)
    lead = QUOTES.sub("", lead)
    for paragraph in lead.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if len(paragraph) >= 20 and not paragraph.startswith(("|", "!", "*", "#", ":", "}")):
            return paragraph
    return ""


def main(path):
    counts = {"pages": 0, "records": 0, "redirects": 0, "other_namespaces": 0, "empty": 0, "text_chars": 0}
    opener = bz2.open if path.endswith(".bz2") else open
    with opener(path, "rb") as f:
        title = ns = None
        redirect = False
        for event, element in ET.iterparse(f, events=("end",)):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "title":
                title = element.text
            elif tag == "ns":
                ns = element.text
            elif tag == "redirect":
                redirect = True
            elif tag == "page":
                counts["pages"] += 1
                if redirect:
                    counts["redirects"] += 1
                elif ns != "0":
                    counts["other_namespaces"] += 1
                else:
                    text = element.find("{*}revision/{*}text")
                    body = abstract(text.text or "") if text is not None else ""
                    categories = CATEGORY.findall(text.text or "") if text is not None else []
                    if body:
                        counts["records"] += 1
                        counts["text_chars"] += len(body) + len(categories)
                    else:
                        counts["empty"] += 1
                title = ns = None
                redirect = False
                element.clear()
    print(json.dumps(counts))


if __name__ == "__main__":
    main(sys.argv[1])
