"""``escalation-console triage``: train the triage models on the store's resolved
tickets, show them with their evaluation, and measure the method on any labelled
helpdesk export (docs/triage.md). scikit-learn loads only when a command runs."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import triage_kb, triage_risk
from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_STORE,
    EXIT_USAGE,
    data_dir,
    event_file,
)

if TYPE_CHECKING:
    from console.app.triage.evaluate import Evaluation
    from console.app.triage.registry import ModelInfo, Registry
    from console.domain.matrix import Matrix
    from console.domain.tickets import TicketEvent

PROG = "escalation-console triage"


def _folds(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 2 <= number <= 20:
        raise argparse.ArgumentTypeError("give a number of folds from 2 to 20")
    return number


def _columns(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"{value!r}: give column names separated by "
                                         f"commas, none empty")
    return names


def _column(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("give a column name")
    return value.strip()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    triage = sub.add_parser(
        "triage", help="triage suggestions learnt from the team's resolved tickets",
        description="Train the text models (severity, team, category) and the "
                    "similar-ticket index on the store's resolved tickets, show them with "
                    "their evaluation, or measure the method on a labelled CSV export. "
                    "Everything runs offline. See docs/triage.md.")
    tsub = triage.add_subparsers(dest="triage_command", metavar="ACTION", required=True)
    train = tsub.add_parser(
        "train", help="train the text models on the resolved tickets",
        description="Train, evaluate and save a new version of each text model on the "
                    "local store's resolved tickets (or an event file's). With fewer than "
                    "200 resolved tickets nothing is trained. A model that does not beat "
                    "the majority baseline is saved as not used, with why. Exit status: 0 "
                    "done (also when there were too few tickets), 1 a bad event line, 2 "
                    "usage error, 3 the local store or the models folder failed.")
    train.add_argument("--events", metavar="FILE.jsonl",
                       help="learn from this event file (docs/import.md) instead of the "
                            "local store")
    train.set_defaults(func=_cmd_train)
    status = tsub.add_parser(
        "status", help="list the saved models, their versions and evaluation",
        description="List every saved model version: when it was trained, on how many "
                    "tickets, its accuracy, macro-F1 and majority baseline, and whether it "
                    "is used (or why not).")
    status.set_defaults(func=_cmd_status)
    evaluate = tsub.add_parser(
        "evaluate", help="measure the text model on a labelled CSV export",
        description="Cross-validate the text model on any labelled helpdesk export (CSV, "
                    "UTF-8, with a header row; a literal \\n in a cell is a line break): "
                    "accuracy, macro-F1, the majority-class baseline and the confusion "
                    "matrix. With --time, a time split instead: learn from the earlier "
                    "80 %, test on the later 20 %. Exit status: 0 measured, 1 a problem "
                    "in the file (named FILE:LINE:COLUMN), 2 usage error or unreadable file.")
    evaluate.add_argument("--data", metavar="FILE.csv", required=True,
                          help="the labelled export")
    evaluate.add_argument("--text", metavar="COLUMN[,COLUMN]", type=_columns, required=True,
                          help="the column(s) holding the ticket's text, joined in order")
    evaluate.add_argument("--label", metavar="COLUMN", type=_column, required=True,
                          help="the column holding the label to predict")
    evaluate.add_argument("--time", metavar="COLUMN", type=_column,
                          help="a column of ISO 8601 times: use a time split instead of "
                               "cross-validation")
    evaluate.add_argument("--folds", metavar="K", type=_folds, default=5,
                          help="folds of the cross-validation (default 5)")
    evaluate.set_defaults(func=_cmd_evaluate)
    triage_kb.register(tsub)
    triage_risk.register(tsub)


def _error(message: str, action: str = "train") -> None:
    print(f"{PROG} {action}: {message}", file=sys.stderr)


# -- train -----------------------------------------------------------------------------
def _cmd_train(args: argparse.Namespace) -> int:
    from console.app.triage.examples import resolved_examples
    from console.app.triage.registry import Registry
    from console.app.triage.train import train_text_models

    got = _events_file(args.events) if args.events is not None else _store_events(args)
    if isinstance(got, int):
        return got
    matrix, events = got
    examples = resolved_examples(events, matrix)
    registry = Registry(data_dir(args) / "triage")
    try:
        result = train_text_models(examples, registry, datetime.now(UTC),
                                   progress=lambda step: print(f"  {step}...", file=sys.stderr))
    except OSError as exc:
        _error(f"{registry.folder}: cannot save the models: {exc.strerror or exc}")
        return EXIT_STORE
    if result.declined:
        print(f"{result.declined}. Suggestions stay off until there are enough.")
        return EXIT_OK
    print(f"trained on {result.resolved} resolved tickets in {result.seconds:.1f} s "
          f"(saved in {registry.folder}):")
    for info in result.trained:
        print(_line(info))
    for kind, why in result.skipped.items():
        print(f"  {kind}: not trained: {why}")
    return EXIT_OK


def _events_file(path: str) -> tuple[Matrix, list[TicketEvent]] | int:
    from console.app.matrices import load_matrix_file
    from console.paths import default_matrix_path

    matrix = load_matrix_file(default_matrix_path())
    events = event_file(path, matrix, PROG)
    return events if isinstance(events, int) else (matrix, events)


def _store_events(args: argparse.Namespace) -> tuple[Matrix, list[TicketEvent]] | int:
    from console.store.errors import StoreError

    from .common import store_events

    try:
        return store_events(args)
    except StoreError as exc:
        _error(str(exc))
        return EXIT_STORE


# -- status ----------------------------------------------------------------------------
def _cmd_status(args: argparse.Namespace) -> int:
    from console.app.triage.registry import Registry

    registry = Registry(data_dir(args) / "triage")
    infos = registry.infos()
    run = registry.last_run()
    if run is not None:
        print(_run_line(run))
    if not infos:
        print("no triage model has been trained: run 'escalation-console triage train'")
        return EXIT_OK
    for info in sorted(infos, key=lambda i: (i.kind, -i.version)):
        print(_line(info, _in_use(registry, info)))
    return EXIT_OK


def _run_line(run: dict[str, object]) -> str:
    text = f"last training {run.get('at', '?')}: {run.get('resolved', '?')} resolved tickets"
    if run.get("declined"):
        text += f"; {run['declined']}"
    skipped = run.get("skipped")
    if isinstance(skipped, dict):
        text += "".join(f"; {kind} not trained: {why}" for kind, why in skipped.items())
    return text


def _in_use(registry: Registry, info: ModelInfo) -> bool:
    usable = [i.version for i in registry.infos() if i.kind == info.kind and i.usable]
    return bool(usable) and info.version == max(usable)


def _line(info: ModelInfo, in_use: bool | None = None) -> str:
    e = info.evaluation
    figures = ""
    if "accuracy" in e:
        figures = (f" accuracy {e['accuracy']:.3f}, macro-F1 {e['macro_f1']:.3f}, "
                   f"majority baseline {e['baseline']:.3f} ({e.get('tested', '?')} tested);")
    state = ("used" if info.usable else f"NOT used: it {info.why_not}")
    if in_use is False and info.usable:
        state = "usable, superseded"
    what = "holds" if info.kind == "similar" else "learnt from"
    return (f"  {info.kind} v{info.version}: trained {info.trained_at:%Y-%m-%d %H:%M} UTC, "
            f"{what} {info.examples} tickets;{figures} {state}")


# -- evaluate --------------------------------------------------------------------------
def _cmd_evaluate(args: argparse.Namespace) -> int:
    from console.app.triage.csvdata import CsvProblem, read_labelled
    from console.app.triage.evaluate import cross_validate, time_split

    try:
        with open(args.data, "rb"):
            pass
    except OSError as exc:
        _error(f"{args.data}: cannot read: {exc.strerror or exc}", "evaluate")
        return EXIT_USAGE
    try:
        data = read_labelled(args.data, args.text, args.label, args.time)
    except CsvProblem as exc:
        print(exc, file=sys.stderr)
        return EXIT_INVALID
    try:
        if data.times is not None:
            result = time_split(data.texts, data.labels, data.times)
        else:
            result = cross_validate(data.texts, data.labels, args.folds)
    except ValueError as exc:
        _error(f"{args.data}: {exc}", "evaluate")
        return EXIT_INVALID
    sys.stdout.write(report(args.data, args.text, args.label, data.rows, result))
    return EXIT_OK


def report(path: str, text: list[str], label: str, rows: int, result: Evaluation) -> str:
    """The evaluation as text: the figures, the verdict, the confusion matrix."""
    lines = [f"{path}: {rows} rows; text: {', '.join(text)}; label: {label} "
             f"({len(result.labels)} values)",
             f"method: {result.method} ({result.tested} predictions)", "",
             f"{'':<18}{'accuracy':>9}{'macro-F1':>10}",
             f"{'model':<18}{result.accuracy:>9.3f}{result.macro_f1:>10.3f}",
             f"{'majority baseline':<18}{result.baseline:>9.3f}{result.baseline_macro_f1:>10.3f}"
             f"  (always {result.majority!r})", ""]
    lines.append("beats the baseline: yes" if result.beats_baseline else
                 f"beats the baseline: NO: it {result.why_not}")
    lines += ["", "confusion matrix (rows: true label, columns: predicted, in the same "
              "order):"]
    width = max(5, *(len(str(v)) + 1 for row in result.confusion for v in row))
    name = max(len(v) for v in result.labels)
    lines.append(" " * (name + 6) + "".join(f"{f'#{i + 1}':>{width}}"
                                             for i in range(len(result.labels))))
    for i, (value, row) in enumerate(zip(result.labels, result.confusion, strict=True)):
        lines.append(f"{f'#{i + 1}':>4}  {value:<{name}}" + "".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines) + "\n"
