"""The longest modules and functions of bot/ and storage/, in lines of logic (issue 21).

A line of logic is a line of source that is not blank, not only a comment and not part of a
docstring (a module's, class's or function's first string). A function's size is its own
lines, nested functions included; a method counts as `Class.method`.

    python -m bench.sizes            # the ten longest of each
    python -m bench.sizes --most 20  # more rows
    python -m bench.sizes --root DIR # another tree (e.g. `git archive` of an older commit)
"""

from __future__ import annotations

import argparse
import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREES = ("bot", "storage")

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _docstring_lines(tree: ast.Module) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                out |= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return out


def logic_lines(source: str) -> set[int]:
    """The numbers of the lines that hold code (tokens other than comments and layout)."""
    tree = ast.parse(source)
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    skip.add(tokenize.ENDMARKER)
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in skip:
            lines |= set(range(tok.start[0], tok.end[0] + 1))
    return lines - _docstring_lines(tree)


def _functions(tree: ast.Module) -> list[tuple[str, Function]]:
    out: list[tuple[str, Function]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                out.append((prefix + child.name, child))  # nested ones count in their parent
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return out


def measure(root: Path = ROOT) -> tuple[list[tuple[int, int, str]], list[tuple[int, str]]]:
    """(lines of logic, lines in the file, module) and (lines of logic, module:function),
    longest first."""
    modules: list[tuple[int, int, str]] = []
    functions: list[tuple[int, str]] = []
    for tree_name in TREES:
        for path in sorted((root / tree_name).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            logic = logic_lines(source)
            rel = path.relative_to(root).as_posix()
            modules.append((len(logic), len(source.splitlines()), rel))
            for name, fn in _functions(ast.parse(source)):
                span = range(fn.lineno, (fn.end_lineno or fn.lineno) + 1)
                functions.append((len(logic.intersection(span)), f"{rel}:{name}"))
    return sorted(modules, reverse=True), sorted(functions, reverse=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--most", type=int, default=10, help="rows of each (default 10)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the tree (default this one)")
    args = parser.parse_args(argv)
    modules, functions = measure(args.root)
    print(f"modules ({len(modules)}), lines of logic (and lines in the file):")
    for n, raw, name in modules[: args.most]:
        print(f"  {n:5d}  ({raw:4d})  {name}")
    print(f"functions ({len(functions)}), lines of logic:")
    for n, name in functions[: args.most]:
        print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main()
