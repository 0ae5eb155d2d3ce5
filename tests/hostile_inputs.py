"""Hostile inputs a fuzzing pass found (issue 11, 6b), shared by the hostile-file tests."""

from __future__ import annotations


def alias_bomb(levels: int = 8, width: int = 9) -> str:
    """Each level holds ``width`` aliases of the one before: width**levels values
    (2.3 GB when expanded naively)."""
    lines = ["schema_version: 1", f"a: &a [{', '.join(['x'] * width)}]"]
    previous = "a"
    for n in range(levels):
        name = chr(ord("b") + n)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * width)}]")
        previous = name
    return "\n".join(lines) + "\n"


DEEP_YAML = "schema_version: 1\nname: " + "[" * 20_000 + "]" * 20_000 + "\n"
SELF_ALIAS_YAML = "schema_version: 1\ndefault: &self [*self]\n"


def event(ticket: str, **extra: str) -> str:
    """One ``opened`` line of the simulate format; ``extra`` values go in verbatim."""
    fields = "".join(f', "{k}": "{v}"' for k, v in extra.items())
    return (f'{{"at": "2026-11-26T09:00:00+00:00", "ticket": "{ticket}", "type": "opened", '
            f'"title": "ok"{fields}}}')


GOOD_1, GOOD_2 = event("INC-1"), event("INC-2")
DEEP_JSON = "[" * 100_000 + "]" * 100_000
SURROGATE = event("INC-3", text="bad \\udcff title")  # an escaped lone surrogate
NUL = event("INC-3", account="Glo\\u0000bex")
LATIN_1 = event("INC-3", title="café").encode("latin-1")  # one byte that is not UTF-8
