"""Which tree-sitter node kinds each language family's metrics count, and how."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """The node kinds one language family's metrics look for."""

    functions: frozenset[str]
    decisions: frozenset[str]  # named node kinds that are cyclomatic decision points
    decision_tokens: frozenset[str]  # anonymous tokens that are decision points
    nesting: frozenset[str]  # cognitive +1 + nesting, and their bodies nest
    ifs: frozenset[str]  # the subset of ``nesting`` whose alternatives are else-if / else
    comments: frozenset[str]
    literals: frozenset[str]  # nodes with children that are one Halstead operand
    labelled_jumps: frozenset[str] = frozenset()  # +1 when a label is present
    gotos: frozenset[str] = frozenset()
    nesting_only: frozenset[str] = frozenset()  # nest their contents, no increment of their own


_JS = Profile(
    functions=frozenset(
        {
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
        }
    ),
    decisions=frozenset(
        {
            "if_statement",
            "for_statement",
            "for_in_statement",
            "while_statement",
            "do_statement",
            "catch_clause",
            "ternary_expression",
            "switch_case",
        }
    ),
    decision_tokens=frozenset({"&&", "||", "??"}),
    nesting=frozenset(
        {
            "if_statement",
            "for_statement",
            "for_in_statement",
            "while_statement",
            "do_statement",
            "catch_clause",
            "ternary_expression",
            "switch_statement",
        }
    ),
    ifs=frozenset({"if_statement"}),
    comments=frozenset({"comment", "html_comment"}),
    literals=frozenset({"string", "template_string", "regex"}),
    labelled_jumps=frozenset({"break_statement", "continue_statement"}),
)

PROFILES: dict[str, Profile] = {
    "python": Profile(
        functions=frozenset({"function_definition"}),
        decisions=frozenset(
            {
                "if_statement",
                "elif_clause",
                "for_statement",
                "while_statement",
                "except_clause",
                "conditional_expression",
                "boolean_operator",
                "case_clause",
                "for_in_clause",
                "if_clause",
            }
        ),
        decision_tokens=frozenset(),
        nesting=frozenset(
            {
                "if_statement",
                "elif_clause",
                "for_statement",
                "while_statement",
                "except_clause",
                "conditional_expression",
                "match_statement",
            }
        ),
        ifs=frozenset({"if_statement", "elif_clause"}),
        comments=frozenset({"comment"}),
        literals=frozenset({"string"}),
        nesting_only=frozenset({"lambda"}),
    ),
    "javascript": _JS,
    "java": Profile(
        functions=frozenset(
            {"method_declaration", "constructor_declaration", "compact_constructor_declaration", "lambda_expression"}
        ),
        decisions=frozenset(
            {
                "if_statement",
                "for_statement",
                "enhanced_for_statement",
                "while_statement",
                "do_statement",
                "catch_clause",
                "ternary_expression",
            }
        ),
        decision_tokens=frozenset({"&&", "||"}),
        nesting=frozenset(
            {
                "if_statement",
                "for_statement",
                "enhanced_for_statement",
                "while_statement",
                "do_statement",
                "catch_clause",
                "ternary_expression",
                "switch_expression",
            }
        ),
        ifs=frozenset({"if_statement"}),
        comments=frozenset({"line_comment", "block_comment"}),
        literals=frozenset({"string_literal"}),
        labelled_jumps=frozenset({"break_statement", "continue_statement"}),
    ),
    "go": Profile(
        functions=frozenset({"function_declaration", "method_declaration", "func_literal"}),
        decisions=frozenset({"if_statement", "for_statement", "expression_case", "type_case", "communication_case"}),
        decision_tokens=frozenset({"&&", "||"}),
        nesting=frozenset(
            {
                "if_statement",
                "for_statement",
                "expression_switch_statement",
                "type_switch_statement",
                "select_statement",
            }
        ),
        ifs=frozenset({"if_statement"}),
        comments=frozenset({"comment"}),
        literals=frozenset({"interpreted_string_literal", "raw_string_literal", "rune_literal"}),
        labelled_jumps=frozenset({"break_statement", "continue_statement"}),
        gotos=frozenset({"goto_statement"}),
    ),
}
