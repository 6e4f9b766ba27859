"""``attune expr``: evaluate an expression or render a template, offline."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .files import load_mapping, parse_json_mapping
from .output import EXIT_FAILURE, EXIT_USAGE, CliError, echo, reporting, to_json


def expr(
    expression: Annotated[
        str | None,
        typer.Argument(
            metavar="EXPRESSION",
            help='An expression without braces, e.g. \'total > 1000 or "vip" in tags\'.',
            show_default=False,
        ),
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            "--context", "-c", metavar="FILE",
            help="A JSON or YAML file holding a mapping: its keys are the names in scope ('-' reads stdin).",
        ),
    ] = None,
    context_json: Annotated[
        str | None,
        typer.Option("--context-json", metavar="JSON", help="The context as a JSON object on the command line."),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template", "-t", metavar="TEXT",
            help="Render a template instead ('{{ x }}' keeps the type of x; mixed text renders a string).",
        ),
    ] = None,
) -> None:
    """Evaluate EXPRESSION (or render --template) and print the value as JSON.

    Exit 1 if the expression fails (the error names the expression and the missing
    name), 2 for bad arguments or an unreadable context.
    """
    with reporting():
        if expression is not None and template is not None:
            raise CliError("give either an EXPRESSION or --template, not both", code=EXIT_USAGE)
        if expression is None and template is None:
            raise CliError("give an EXPRESSION or --template TEXT (see attune expr --help)", code=EXIT_USAGE)
        if context is not None and context_json is not None:
            raise CliError("give either --context or --context-json, not both", code=EXIT_USAGE)
        names: dict[str, Any] = {}
        if context is not None:
            names = load_mapping(context, what="--context")
        elif context_json is not None:
            names = parse_json_mapping(context_json, what="--context-json")
        value = evaluate_or_render(expression, template, names)
    echo(to_json(value))


def evaluate_or_render(expression: str | None, template: str | None, names: dict[str, Any]) -> Any:
    from apps.core.expressions import ExpressionError, evaluate, is_template, render

    try:
        if template is not None:
            return render(template, names)
        assert expression is not None
        if is_template(expression):  # '{{ x }}' given as the expression: render it, same value
            return render(expression, names)
        return evaluate(expression, names)
    except ExpressionError as exc:
        raise CliError(str(exc), code=EXIT_FAILURE) from None
