"""The English catalogs (locale/ for desk/ and templates/, <app>/locale/ per
app). Django merges them into one catalog per language, so a message (its
context and msgid) gets one English text whichever catalog holds it: the
same message in two catalogs must say the same in both, else one of them
is silently overruled (the root catalog wins, then the apps in
INSTALLED_APPS order). An Indonesian word with two meanings takes a
context (pgettext, ``{% translate … context … %}``). Every entry is
translated and none is fuzzy: msgfmt leaves fuzzy entries out, and an empty
one shows Indonesian."""

import re
from collections import defaultdict

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext

CATALOGS = {
    "locale": settings.BASE_DIR / "locale/en/LC_MESSAGES/django.po",
    **{
        app: settings.BASE_DIR / app / "locale/en/LC_MESSAGES/django.po"
        for app in ("meetings", "neutrality", "logistics")
    },
}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def entries(path) -> list[dict]:
    """The entries of a .po file (obsolete ``#~`` ones left out): msgctxt,
    msgid, msgid_plural, msgstr (index → text), flags, line."""
    found, entry, key = [], None, None
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        line = raw.strip()
        if not line:
            if entry is not None and "msgid" in entry:
                found.append(entry)
            entry, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "line": number}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += unquote(line)
            else:
                entry[key[0]] += unquote(line)
        else:
            word, rest = line.split(" ", 1)
            plural = re.fullmatch(r"msgstr\[(\d+)\]", word)
            if plural or word == "msgstr":
                key = ("msgstr", int(plural.group(1)) if plural else 0)
                entry["msgstr"][key[1]] = unquote(rest)
            else:
                key = (word, None)
                entry[word] = unquote(rest)
    return found


@pytest.mark.parametrize("name", CATALOGS)
def test_every_entry_is_translated_and_none_is_fuzzy(name):
    path = CATALOGS[name]
    found = entries(path)
    assert len(found) > 50, f"{path}: read {len(found)} entries"
    fuzzy = [e["line"] for e in found if "fuzzy" in e["flags"]]
    untranslated = [
        e["line"] for e in found if e["msgid"] and not all(e["msgstr"].values() or [""])
    ]
    assert not fuzzy, f"{path}: fuzzy entries at lines {fuzzy}"
    assert not untranslated, f"{path}: untranslated entries at lines {untranslated}"


def test_a_message_reads_the_same_in_every_catalog():
    english = defaultdict(dict)
    for name, path in CATALOGS.items():
        for e in entries(path):
            if e["msgid"]:
                english[(e.get("msgctxt"), e["msgid"])][name] = e["msgstr"]
    collisions = {
        message: texts
        for message, texts in english.items()
        if len({tuple(sorted(t.items())) for t in texts.values()}) > 1
    }
    assert not collisions, "\n".join(
        f"{context + ' | ' if context else ''}{msgid!r}: {texts}"
        for (context, msgid), texts in collisions.items()
    )


@pytest.mark.parametrize(
    ("context", "msgid", "english"),
    [
        ("kejadian", "Tempat", "Place"),  # where an incident took place
        (None, "Tempat", "Venue"),  # where a meeting is held
        ("impor", "Menunggu", "Waiting"),  # an import job in the queue
        (None, "Menunggu", "Pending"),  # a reminder not yet sent
        ("impor", "selesai", "finished"),  # when an import job finished
        (None, "selesai", "end"),  # the end of a meeting or a stage
        ("daerah", "Wilayah", "Area"),  # the area logistics figures are about
        ("daerah", "wilayah", "area"),  # ... and a decision's area
        (None, "Wilayah", "Region"),  # an agency's region
        ("kolom", "Rapat", "Meeting"),  # a decision's meeting
        (None, "Rapat", "Meetings"),  # the menu and the list
        ("daftar", "Keputusan", "Decisions"),  # a heading or sheet over them all
        (None, "Keputusan", "Decision"),  # a column
        ("daftar", "Laporan", "Reports"),
        (None, "Laporan", "Report"),
        ("formulir", "Kontak", "Contact"),  # the form of one contact
        (None, "Kontak", "Contacts"),
    ],
)
def test_a_word_with_two_meanings_reads_right_in_each(context, msgid, english):
    with translation.override("en"):
        assert (pgettext(context, msgid) if context else gettext(msgid)) == english
