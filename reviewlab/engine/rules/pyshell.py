"""PY-S025: a shell started to run a constant command that uses no shell feature.

``subprocess.run("git status", shell=True)`` runs ``/bin/sh -c "git status"``: a second process,
the user's shell configuration, and a command line that the next edit may well build from data —
the step from here to PY-S002 is one f-string. When the command is a constant with no shell syntax
at all (no pipes, redirections, variables, globbing, quoting, separators), the shell does nothing but
split words, so the fix can do the same: pass ``shlex.split(command)`` as the argument list and drop
``shell=True``. Commands that use the shell (``ls *.py | wc -l``) are left alone.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Fix, Replacement, Severity, Span
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    PY,
    call_name,
    calls_named,
    cwe_url,
    keyword_arg,
    positional_arg,
    string_value,
    unwrap,
)

_FUNCS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"}
)
# Anything the shell would interpret beyond splitting words on spaces.
_SHELL_SYNTAX = frozenset("|&;<>()$`\\\"'*?[]{}~#=%!\n\t")


def _plain_command(node: tree_sitter.Node, ctx: FileContext) -> str | None:
    """The text of a plain string literal (not bytes, not an f-string) with no shell syntax, else None."""
    node = unwrap(node)
    if node.type != "string" or node.child(0) is None:
        return None
    prefix = ctx.text(node.children[0]).lower()
    if "b" in prefix or "f" in prefix:
        return None
    text = string_value(node)
    if text is None or not text.strip() or any(ch in _SHELL_SYNTAX for ch in text):
        return None
    return text


def _check(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or call_name(call, ctx) not in _FUNCS:
        return
    shell = keyword_arg(call, "shell")
    command = positional_arg(call, 0)
    if shell is None or unwrap(shell).type != "true" or command is None:
        return
    text = _plain_command(command, ctx)
    if text is None:
        return
    yield Hit(call, fix=_argument_list(call, command, text, ctx))


def _argument_list(call: tree_sitter.Node, command: tree_sitter.Node, text: str, ctx: FileContext) -> Fix | None:
    """Replace the command by its words and delete ``, shell=True``."""
    keyword = next(
        (a for a in call.named_children[-1].named_children if a.type == "keyword_argument" and _is_shell(a, ctx)),
        None,
    )
    before = keyword.prev_named_sibling if keyword is not None else None
    if keyword is None or before is None or before.type == "comment":
        return None
    if keyword_arg(call, "executable") is not None:
        return None  # the program is chosen separately: leave the call as it is
    words = "[" + ", ".join(_quote(word) for word in shlex.split(text)) + "]"
    start, end = ctx.span(before), ctx.span(keyword)
    deletion = Span(start.end_line, start.end_column, end.end_line, end.end_column)
    edits = (Replacement(ctx.span(command), words), Replacement(deletion, ""))
    return Fix("Pass the command as an argument list, without a shell", edits)


def _is_shell(argument: tree_sitter.Node, ctx: FileContext) -> bool:
    name = argument.child_by_field_name("name")
    return name is not None and ctx.text(name) == "shell"


def _quote(word: str) -> str:
    return '"' + word + '"' if "'" in word else "'" + word + "'"


SHELL_FOR_CONSTANT = Rule(
    id="PY-S025",
    title="Shell started for a constant command",
    category=Category.SECURITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=78,
    languages=PY,
    message="`shell=True` starts a shell for a command that uses no shell feature; pass the argument list instead.",
    docs=RuleDocs(
        what="Flags `subprocess.run/call/check_call/check_output/Popen` called with `shell=True` and a constant "
        "command (a plain string literal) that contains no shell syntax — no pipes, redirections, separators, "
        "variables, globbing, quoting or escapes. Commands that need the shell are not flagged, and commands "
        "built from data are PY-S002's. The fix passes the words as a list and removes `shell=True`.",
        why="The shell adds a process and the user's shell configuration, and turns the command into a string "
        'that one edit away becomes `f"git log {branch}"` — command injection. An argument list runs the '
        "program directly and keeps every later argument a single argument.",
        example='import subprocess\n\nsubprocess.run("git status --short", shell=True, check=True)',
        use_instead='import subprocess\n\nsubprocess.run(["git", "status", "--short"], check=True)',
    ),
    query=calls_named("run", "call", "check_call", "check_output", "Popen"),
    check=_check,
    references=(cwe_url(78), "https://docs.python.org/3/library/subprocess.html#security-considerations"),
)

RULES = (SHELL_FOR_CONSTANT,)
