"""Code metrics: known values for the examples of SonarSource's Cognitive Complexity paper and friends."""

from __future__ import annotations

import json
import math

import pytest
import tree_sitter

from reviewlab.engine.languages import FAMILY, LANGUAGES, parser_for, ts_language
from reviewlab.engine.metrics import FileMetrics, FunctionMetrics, file_metrics
from reviewlab.engine.rules import go, java, javascript, python
from reviewlab.engine.rules.complexity import function_complexities
from reviewlab.errors import InputError

# G. Ann Campbell, "Cognitive Complexity" (SonarSource, 2017), figures of sumOfPrimes and getWords.
SUM_OF_PRIMES = {
    "java": """
class Primes {
  int sumOfPrimes(int max) {
    int total = 0;
    OUT: for (int i = 1; i <= max; ++i) {
      for (int j = 2; j < i; ++j) {
        if (i % j == 0) {
          continue OUT;
        }
      }
      total += i;
    }
    return total;
  }
}
""",
    "javascript": """
function sumOfPrimes(max) {
  let total = 0;
  OUT: for (let i = 1; i <= max; ++i) {
    for (let j = 2; j < i; ++j) {
      if (i % j === 0) {
        continue OUT;
      }
    }
    total += i;
  }
  return total;
}
""",
    "typescript": """
function sumOfPrimes(max: number): number {
  let total: number = 0;
  OUT: for (let i = 1; i <= max; ++i) {
    for (let j = 2; j < i; ++j) {
      if (i % j === 0) {
        continue OUT;
      }
    }
    total += i;
  }
  return total;
}
""",
    "go": """
package primes

func sumOfPrimes(max int) int {
	total := 0
OUT:
	for i := 1; i <= max; i++ {
		for j := 2; j < i; j++ {
			if i%j == 0 {
				continue OUT
			}
		}
		total += i
	}
	return total
}
""",
}

GET_WORDS = {
    "java": """
class Words {
  String getWords(int number) {
    switch (number) {
      case 1:
        return "one";
      case 2:
        return "a couple";
      case 3:
        return "a few";
      default:
        return "lots";
    }
  }
}
""",
    "javascript": """
function getWords(number) {
  switch (number) {
    case 1:
      return "one";
    case 2:
      return "a couple";
    case 3:
      return "a few";
    default:
      return "lots";
  }
}
""",
    "go": """
package words

func getWords(number int) string {
	switch number {
	case 1:
		return "one"
	case 2:
		return "a couple"
	case 3:
		return "a few"
	default:
		return "lots"
	}
}
""",
}


def only_function(source: str, language: str) -> FunctionMetrics:
    metrics = file_metrics(source.encode(), language)
    assert len(metrics.functions) == 1, metrics.functions
    return metrics.functions[0]


@pytest.mark.parametrize("language", sorted(SUM_OF_PRIMES))
def test_sum_of_primes_is_cognitive_7_cyclomatic_4(language: str) -> None:
    function = only_function(SUM_OF_PRIMES[language], language)
    assert (function.name, function.cognitive, function.cyclomatic) == ("sumOfPrimes", 7, 4)
    assert function.max_nesting == 3
    assert function.parameters == 1


def test_sum_of_primes_in_python_has_no_labelled_continue_so_is_6() -> None:
    source = """
def sum_of_primes(limit):
    total = 0
    for i in range(1, limit + 1):
        for j in range(2, i):
            if i % j == 0:
                break
        total += i
    return total
"""
    function = only_function(source, "python")
    assert (function.cognitive, function.cyclomatic, function.max_nesting) == (6, 4, 3)
    assert (function.start_line, function.end_line, function.length) == (2, 9, 8)


@pytest.mark.parametrize("language", sorted(GET_WORDS))
def test_get_words_switch_is_cognitive_1_cyclomatic_4(language: str) -> None:
    function = only_function(GET_WORDS[language], language)
    assert (function.name, function.cognitive, function.cyclomatic) == ("getWords", 1, 4)
    assert function.max_nesting == 1


def test_get_words_match_in_python_counts_the_wildcard_case_like_py_q003() -> None:
    source = """
def get_words(number):
    match number:
        case 1:
            return "one"
        case 2:
            return "a couple"
        case 3:
            return "a few"
        case _:
            return "lots"
"""
    function = only_function(source, "python")
    assert (function.cognitive, function.cyclomatic) == (1, 5)


@pytest.mark.parametrize(
    ("language", "source", "cognitive"),
    [
        # A run of like operators is one increment; each change of operator is another.
        ("java", "class A { boolean f(boolean a, boolean b, boolean c) { return a && b && c; } }", 1),
        ("java", "class A { boolean f(boolean a, boolean b, boolean c, boolean d) { return a && b || c && d; } }", 3),
        ("java", "class A { boolean f(boolean a, boolean b, boolean c) { return a && (b && c); } }", 1),
        ("java", "class A { boolean f(boolean a, boolean b, boolean c) { return a && !(b && c); } }", 2),
        ("javascript", "function f(a, b, c, d) { if (a && b || c && d) { return 1; } }", 4),
        ("javascript", "function f(a, b) { return a ?? b; }", 0),
        ("go", "package p\nfunc f(a, b, c bool) bool { return a || b || c }", 1),
        ("python", "def f(a, b, c):\n    return a and b or c\n", 2),
        ("python", "def f(a, b, c):\n    return a and (b and c)\n", 1),
    ],
)
def test_boolean_operator_sequences(language: str, source: str, cognitive: int) -> None:
    assert only_function(source, language).cognitive == cognitive


@pytest.mark.parametrize(
    ("language", "source"),
    [
        (
            "java",
            "class A { void f(int[] xs) { for (int x : xs) { if (x > 0) { a(); } else if (x < 0) { b(); } "
            "else { c(); } } } }",
        ),
        (
            "javascript",
            "function f(xs) { for (const x of xs) { if (x > 0) { a(); } else if (x < 0) { b(); } else { c(); } } }",
        ),
        (
            "go",
            "package p\nfunc f(xs []int) {\n\tfor _, x := range xs {\n\t\tif x > 0 {\n\t\t\ta()\n\t\t} "
            "else if x < 0 {\n\t\t\tb()\n\t\t} else {\n\t\t\tc()\n\t\t}\n\t}\n}\n",
        ),
        (
            "python",
            "def f(xs):\n    for x in xs:\n        if x > 0:\n            a()\n        elif x < 0:\n"
            "            b()\n        else:\n            c()\n",
        ),
    ],
)
def test_else_if_and_else_are_plus_one_without_nesting(language: str, source: str) -> None:
    # for +1, if +2 (nested once), else-if +1, else +1
    function = only_function(source, language)
    assert (function.cognitive, function.cyclomatic, function.max_nesting) == (5, 4, 2)


@pytest.mark.parametrize(
    ("language", "source", "cognitive"),
    [
        ("java", "class A { int f(boolean a) { try { return g(); } catch (Exception e) { return a ? 1 : 2; } } }", 3),
        ("javascript", "function f(a) { try { return g(); } catch (e) { return a ? 1 : 2; } }", 3),
        ("python", "def f(a):\n    try:\n        return g()\n    except Exception:\n        return 1 if a else 2\n", 3),
        ("javascript", "function f() { do { g(); } while (h()); }", 1),
        ("go", "package p\nfunc f() {\nL:\n\tg()\n\tgoto L\n}\n", 1),
        ("go", "package p\nfunc f(c chan int) {\n\tselect {\n\tcase <-c:\n\tdefault:\n\t}\n}\n", 1),
    ],
)
def test_catch_ternary_loops_goto(language: str, source: str, cognitive: int) -> None:
    assert only_function(source, language).cognitive == cognitive


def test_nested_functions_are_reported_separately() -> None:
    source = """
def outer(xs):
    if xs:
        def inner(x):
            if x:
                return 1
            return 2
        return [inner(x) for x in xs]
    return []
"""
    outer, inner = file_metrics(source.encode(), "python").functions
    assert (outer.name, outer.cognitive, outer.cyclomatic, outer.max_nesting) == ("outer", 1, 3, 1)
    assert (inner.name, inner.cognitive, inner.cyclomatic, inner.max_nesting) == ("inner", 1, 2, 1)


def test_python_lambda_nests_inside_its_def() -> None:
    function = only_function("def f(xs):\n    return map(lambda x: 1 if x else 2, xs)\n", "python")
    assert (function.cognitive, function.cyclomatic) == (2, 2)


def test_flat_function_has_nesting_zero_and_deep_nesting_is_measured() -> None:
    assert only_function("def f():\n    return 1\n", "python").max_nesting == 0
    source = "function f(a) { while (a) { for (;;) { if (a) { if (a) { a--; } } } } }"
    function = only_function(source, "javascript")
    assert function.max_nesting == 4
    assert function.cognitive == 1 + 2 + 3 + 4


@pytest.mark.parametrize(
    ("language", "source", "name", "parameters"),
    [
        ("python", "class C:\n    def m(self, a, /, b, *, c=1, **kw):\n        pass\n", "m", 5),
        ("python", "def f(*args, d: int = 2):\n    pass\n", "f", 2),
        ("python", "def f():\n    pass\n", "f", 0),
        ("javascript", "function f(a, b = 1, ...c) {}", "f", 3),
        ("javascript", "const g = x => x;", "g", 1),
        ("javascript", "const h = (a, b) => a + b;", "h", 2),
        ("javascript", "class K { m(a) { return a; } }", "m", 1),
        ("typescript", "function f(a: number, b?: string): void {}", "f", 2),
        ("java", "class A { void f(int a, String... rest) {} }", "f", 2),
        ("java", "class A { A(int a, int b, int c) {} }", "A", 3),
        ("go", "package p\nfunc (r R) f(a, b int, c ...string) {}\n", "f", 3),
        ("go", "package p\nfunc f(int, string) {}\n", "f", 2),
    ],
)
def test_names_and_parameter_counts(language: str, source: str, name: str, parameters: int) -> None:
    function = only_function(source, language)
    assert (function.name, function.parameters) == (name, parameters)


def test_java_lambda_is_a_function_with_its_parameters() -> None:
    source = "class A { void f() { BinaryOperator<Integer> add = (a, b) -> a + b; Runnable r = () -> {}; } }"
    functions = file_metrics(source.encode(), "java").functions
    assert [(f.name, f.parameters) for f in functions] == [("f", 0), ("add", 2), ("r", 0)]


# Cyclomatic complexity must agree with the complexity rules (PY-Q003 and friends) function by function.
CROSS_CHECK = {
    "python": (
        python.COMPLEXITY,
        """
def route(x, ys):
    if x == 1 and ys or not ys:
        return [y for y in ys if y]
    elif x == 2:
        while x:
            x -= 1
    try:
        pass
    except ValueError:
        pass
    match x:
        case 1:
            pass
        case _:
            pass
    def inner():
        return 1 if x else 2
    return lambda: x or ys
""",
    ),
    "javascript": (
        javascript.COMPLEXITY,
        """
function route(x, ys) {
  if (x === 1 && ys || !ys) { return ys.filter(y => y ? 1 : 0); }
  else if (x === 2) { while (x) { x--; } }
  for (const y of ys) { do { x ??= y; } while (x); }
  try { g(); } catch (e) { h(); }
  switch (x) { case 1: break; default: break; }
  return x ?? ys;
}
""",
    ),
    "java": (
        java.COMPLEXITY,
        """
class Router {
  int route(int x, int[] ys) {
    if (x == 1 && ys != null || ys == null) { return 1; } else if (x == 2) { while (x > 0) { x--; } }
    for (int y : ys) { do { x += y; } while (x < 0); }
    for (int i = 0; i < 3; i++) { x = i > 1 ? x : i; }
    try { g(); } catch (RuntimeException e) { h(); }
    switch (x) { case 1: break; case 2: break; default: break; }
    Runnable r = () -> { if (ys == null) { h(); } };
    return x;
  }
  Router(int a) { if (a > 0) { g(); } }
}
""",
    ),
    "go": (
        go.COMPLEXITY,
        """
package router

func route(x int, ys []int, c chan int, v any) int {
	if x == 1 && ys != nil || ys == nil {
		return 1
	} else if x == 2 {
		for x > 0 {
			x--
		}
	}
	switch x {
	case 1:
	case 2:
	default:
	}
	switch v.(type) {
	case int:
	}
	select {
	case <-c:
	default:
	}
	f := func() bool { return x > 0 && x < 9 }
	_ = f
	return x
}

func (r R) other() {}
""",
    ),
}


@pytest.mark.parametrize("language", sorted(CROSS_CHECK))
def test_cyclomatic_matches_the_complexity_rule(language: str) -> None:
    rule, source = CROSS_CHECK[language]
    tree = parser_for(language).parse(source.encode())
    captures = tree_sitter.QueryCursor(tree_sitter.Query(ts_language(language), rule.query)).captures(tree.root_node)
    expected = [
        (function.start_point.row + 1, complexity)
        for function, complexity in function_complexities(
            list(captures.get("function", [])), list(captures.get("decision", []))
        )
    ]
    metrics = file_metrics(source.encode(), language)
    assert [(f.start_line, f.cyclomatic) for f in metrics.functions] == expected
    assert max(complexity for _, complexity in expected) > 5


def test_comment_lines_and_density_in_python() -> None:
    source = b'''"""Module docstring."""
# a comment

x = 1  # trailing


def f():
    """Function docstring
    over two lines."""
    # inside
    return x
'''
    metrics = file_metrics(source, "python")
    assert metrics.lines == 11
    assert metrics.code_lines == 3  # x = 1, def f():, return x
    assert metrics.comment_lines == 6  # two docstrings (3 lines), two comments, one trailing comment
    assert metrics.comment_density == pytest.approx(6 / 9)


def test_comment_lines_skip_blank_lines_inside_block_comments() -> None:
    source = b"/**\n * Adds.\n\n */\nclass A {\n  int f() { return 1; } // one\n}\n"
    metrics = file_metrics(source, "java")
    assert (metrics.code_lines, metrics.comment_lines) == (3, 4)
    assert metrics.comment_density == pytest.approx(4 / 7)


def test_halstead_counts_of_a_tiny_file() -> None:
    metrics = file_metrics(b"x = 1\n", "python")
    halstead = metrics.halstead
    assert (halstead.distinct_operators, halstead.distinct_operands) == (1, 2)
    assert (halstead.total_operators, halstead.total_operands) == (1, 2)
    assert halstead.volume == pytest.approx(3 * math.log2(3))
    # (171 - 5.2 ln(4.75) - 0 - 16.2 ln 1) * 100 / 171 = 95.26...
    assert 95.0 < metrics.maintainability_index < 95.5


def test_halstead_treats_a_string_literal_as_one_operand_and_a_bracket_pair_as_one_operator() -> None:
    halstead = file_metrics(b'f("a b c")\n', "python").halstead
    assert (halstead.total_operators, halstead.total_operands) == (1, 2)


def test_maintainability_index_falls_as_a_file_grows_more_complex() -> None:
    small = file_metrics(b"def f(a):\n    return a + 1\n", "python")
    medium = file_metrics(SUM_OF_PRIMES["java"].encode(), "java")
    body = "".join(f"    if a > {i} and b < {i} or c:\n        total += a * {i} - b\n" for i in range(40))
    large = file_metrics(f"def g(a, b, c):\n    total = 0\n{body}    return total\n".encode(), "python")
    assert 100 >= small.maintainability_index > medium.maintainability_index > large.maintainability_index >= 0
    assert large.cyclomatic == 1 + 40 * 3


@pytest.mark.parametrize(
    ("language", "source", "names"),
    [
        ("python", b"def f(a):\n    if a:\n        return (\n\ndef g(b):\n    return b\n", {"g"}),
        ("javascript", b"function f(a) { if (a { return 1; }\nfunction g(b) { return b; }\n", {"g"}),
        ("java", b"class A { void f( { } int g(int b) { return b; } }", {"g"}),
        ("go", b"package p\nfunc f( {\n}\nfunc g(b int) int { return b }\n", {"g"}),
    ],
)
def test_syntax_errors_give_metrics_for_what_parses(language: str, source: bytes, names: set[str]) -> None:
    metrics = file_metrics(source, language)
    assert metrics.has_errors
    assert names <= {f.name for f in metrics.functions}
    assert metrics.code_lines > 0


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_garbage_and_empty_input_never_raise(language: str) -> None:
    for source in (b"\xff\xfe\x00{{{(((if else while", b"}}}])) ? : && || \n\n\t", b"\x00" * 64):
        metrics = file_metrics(source, language)
        json.dumps(metrics.to_dict())
        assert 0 <= metrics.maintainability_index <= 100
    empty = file_metrics(b"", language)
    assert empty == FileMetrics(language, 0, 0, 0, 0, empty.halstead, False, [])
    assert (empty.halstead.volume, empty.comment_density, empty.maintainability_index) == (0.0, 0.0, 100.0)


def test_deeply_nested_expressions_do_not_overflow_the_stack() -> None:
    source = "def f(a):\n    return " + " and ".join(["a"] * 5000) + "\n"
    function = only_function(source, "python")
    assert (function.cognitive, function.cyclomatic) == (1, 5000)


def test_every_language_family_has_a_profile_and_to_dict_round_trips() -> None:
    for language in LANGUAGES:
        assert language in FAMILY
        metrics = file_metrics(b"", language)
        assert metrics.language == language
    metrics = file_metrics(SUM_OF_PRIMES["go"].encode(), "go")
    data = metrics.to_dict()
    function = metrics.functions[0]
    assert data["functions"][0] == {
        "name": "sumOfPrimes",
        "start_line": 4,
        "end_line": 16,
        "cyclomatic": 4,
        "cognitive": 7,
        "max_nesting": 3,
        "parameters": 1,
        "length": 13,
        "code_lines": 13,
        "halstead_volume": round(function.halstead.volume, 2),
        "maintainability_index": round(function.maintainability_index, 2),
    }
    assert json.loads(json.dumps(data)) == data


def test_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cobol"):
        file_metrics(b"", "cobol")


def test_function_halstead_and_maintainability_count_only_the_function_s_own_tokens() -> None:
    source = "x = 1\n\ndef outer(a):\n    def inner(b):\n        return b + 1\n    return inner(a) * 2\n"
    metrics = file_metrics(source.encode(), "python")
    outer, inner = metrics.functions
    # inner: return b + 1 -> operators {return, +}, operands {b, 1}; its def line: def ( ) : inner b
    assert inner.halstead.total_operands == 4  # inner, b, b, 1
    assert inner.code_lines == 2
    assert outer.code_lines == 2  # the def line and the return line; inner's lines are inner's
    assert outer.halstead.total_operands + inner.halstead.total_operands + 2 == metrics.halstead.total_operands
    expected = (171 - 5.2 * math.log(inner.halstead.volume) - 0.23 * 1 - 16.2 * math.log(2)) * 100 / 171
    assert inner.maintainability_index == pytest.approx(min(100.0, expected))
