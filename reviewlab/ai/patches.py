"""Patches a model proposes: parse a unified diff and apply it to the file it was written against.

``apply_patch`` matches each hunk against the text the model was shown (redacted) and applies it to both
that text and the file's own, line for line; it raises :class:`PatchError` when the patch does not parse,
does not apply, changes nothing, would write a redacted secret's placeholder into the file, or would make
a file that parsed stop parsing. ``tasks.propose_fix`` turns that error into a diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewlab.engine.languages import language_for_path, parser_for

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_NUMBERED = re.compile(r"^\s*\d+ \| ?")
_REDACTED = re.compile(r"…\(\d+ chars\)")
_METADATA = ("diff --git", "index ", "new file mode", "deleted file mode", "similarity index", "rename ")


class PatchError(ValueError):
    """A proposed patch that cannot be offered: it does not parse, does not apply, or breaks the file."""


@dataclass(slots=True)
class _Hunk:
    old_start: int | None
    old_count: int | None
    body: list[tuple[str, str]] = field(default_factory=list)

    def complete(self) -> bool:
        return self.old_count is not None and sum(op != "+" for op, _ in self.body) >= self.old_count


def parse_patch(patch: str, path: str) -> list[tuple[int | None, list[tuple[str, str]]]]:
    """The hunks of a unified diff for ``path``: (old start line or None, [(op, text)]), op one of `` +-``."""
    hunks: list[_Hunk] = []
    for raw in patch.replace("\r\n", "\n").split("\n"):
        current = hunks[-1] if hunks else None
        if raw.startswith(_METADATA) or (raw.startswith(("--- ", "+++ ")) and (current is None or current.complete())):
            target = raw[4:].split("\t")[0].strip() if raw.startswith(("--- ", "+++ ")) else ""
            name = target[2:] if target.startswith(("a/", "b/")) else target
            if name and name != "/dev/null" and name != path and not path.endswith("/" + name):
                raise PatchError(f"the patch is for {name!r}, not {path!r}")
            continue
        if (match := _HUNK.match(raw)) is not None:
            hunks.append(_Hunk(int(match.group(1)), int(match.group(2) or "1")))
            continue
        if raw.startswith("\\"):  # "\ No newline at end of file"
            continue
        op, text = (raw[0], raw[1:]) if raw else (" ", "")
        if op not in " +-":
            raise PatchError(f"{raw[:60]!r} is not a line of a unified diff")
        if current is None:
            current = _Hunk(None, None)
            hunks.append(current)
        current.body.append((op, text))
    parsed = []
    for hunk in hunks:
        while hunk.body and hunk.body[-1] == (" ", ""):  # the split's last empty piece, or padding
            hunk.body.pop()
        body = hunk.body
        shown = [text for op, text in body if op != "+"]
        if shown and all(_NUMBERED.match(text) for text in shown):  # the model copied the "12 | " prefixes
            body = [(op, _NUMBERED.sub("", text, count=1)) for op, text in body]
        if body:
            parsed.append((hunk.old_start, body))
    if not any(op != " " for _, body in parsed for op, _ in body):
        raise PatchError("the patch changes nothing")
    return parsed


def apply_patch(patch: str, path: str, seen: str, original: str) -> tuple[str, str]:
    """Apply ``patch`` to the file. ``seen`` is the text the model was shown (redacted) and ``original`` the
    file's text, line for line alike: hunks are matched against ``seen`` (nearest to their stated line when
    they match in several places) and applied to both. Returns (new seen text, new original text)."""
    seen_lines, original_lines = seen.split("\n"), original.split("\n")
    if len(seen_lines) != len(original_lines):
        raise ValueError("the seen and the original text must have the same lines")
    crlf = original.count("\r\n") * 2 > original.count("\n")
    norm = [line.rstrip() for line in seen_lines]
    new_seen: list[str] = []
    new_original: list[str] = []
    cursor = 0
    for number, (start, body) in enumerate(parse_patch(patch, path), 1):
        old = [text.rstrip() for op, text in body if op != "+"]
        if old:
            places = [p for p in range(cursor, len(norm) - len(old) + 1) if norm[p : p + len(old)] == old]
        else:
            places = [start] if start is not None and cursor <= start <= len(norm) else []
        if not places:
            near = f" near line {start}" if start is not None else ""
            raise PatchError(f"hunk {number} does not match the file{near}")
        if start is None and len(places) > 1:
            raise PatchError(f"hunk {number} matches the file in {len(places)} places and says not where")
        at = min(places, key=lambda p: abs(p + 1 - (start or 1)))
        new_seen += seen_lines[cursor:at]
        new_original += original_lines[cursor:at]
        for op, text in body:
            if op == "+":
                if _REDACTED.search(text) and not _REDACTED.search(original):
                    raise PatchError(f"hunk {number} would write a redacted secret's placeholder into the file")
                new_seen.append(text + ("\r" if crlf else ""))
                new_original.append(text + ("\r" if crlf else ""))
                continue
            if op == " ":
                new_seen.append(seen_lines[at])
                new_original.append(original_lines[at])
            at += 1
        cursor = at
    new_seen += seen_lines[cursor:]
    new_original += original_lines[cursor:]
    fixed = "\n".join(new_original)
    if fixed == original:
        raise PatchError("the patch changes nothing")
    language = language_for_path(path)
    if language is not None:
        parser = parser_for(language)
        if not parser.parse(original.encode()).root_node.has_error and parser.parse(fixed.encode()).root_node.has_error:
            raise PatchError("the patched file would not parse")
    return "\n".join(new_seen), fixed
