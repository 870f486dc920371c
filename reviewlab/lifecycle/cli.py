"""``reviewlab models list|evaluate|promote|quarantine|history|monitor|re-evaluate|datasets``: the model lifecycle.

Every command opens the lab (the configured store, MLflow and ``experiments/``), registers the candidate files
(new settings become V1 configurations) and works on the current dataset version (the curated dataset with the
reviewer triage) unless ``--dataset VERSION`` names a recorded one.

Exit codes follow ``reviewlab``'s: 0 done; 1 an evaluation failed or a promotion was refused; 2 bad input
(unknown model, a refused transition, a broken candidate or dataset file, the store or MLflow failing, an
override without an entitled account): one line on stderr, raised as a ``ReviewlabError`` and reported by
``reviewlab.cli.main``.

Manual overrides (a forced promotion, a quarantine) name the person with ``--as EMAIL``: an active account whose
role is experimenter or admin; the transition records that account's id. A plain promotion, which the gate
decides, runs as ``cli`` unless ``--as`` names someone.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from reviewlab.errors import InputError
from reviewlab.settings import Settings

if TYPE_CHECKING:
    from reviewlab.lifecycle.dataset import Dataset
    from reviewlab.lifecycle.models import Stage
    from reviewlab.lifecycle.service import EvaluationRecord, Lifecycle

CLI_ACTOR = "cli"
OVERRIDE_ROLES = ("experimenter", "admin")
EXIT_OK, EXIT_FAILED = 0, 1


def add_models_parser(commands: Any) -> None:
    """Register ``reviewlab models`` on the command line's subcommands."""
    models = commands.add_parser("models", help="the model lifecycle: V1 candidates, V2 production, V3 quarantine")
    sub = models.add_subparsers(dest="models_command", required=True, parser_class=type(models))

    listing = sub.add_parser("list", help="every configuration, its stage and its scores on the dataset")
    _dataset_option(listing)
    _json_option(listing)
    listing.set_defaults(handler=cmd_models_list)

    evaluate = sub.add_parser("evaluate", help="evaluate configurations on the dataset; exit 1 when one fails")
    evaluate.add_argument("names", nargs="*", metavar="NAME", help="configuration name or config hash")
    evaluate.add_argument("--all", action="store_true", help="every configuration that is not blacklisted")
    _dataset_option(evaluate)
    _json_option(evaluate)
    evaluate.set_defaults(handler=cmd_models_evaluate)

    promote = sub.add_parser("promote", help="run the promotion gate; exit 0 when promoted, 1 when refused")
    promote.add_argument("name", metavar="NAME", help="configuration name or config hash")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses (needs --reason, --as)")
    promote.add_argument("--reason", help="why (required with --force)")
    _as_option(promote)
    _dataset_option(promote)
    _json_option(promote)
    promote.set_defaults(handler=cmd_models_promote)

    quarantine = sub.add_parser("quarantine", help="take a configuration out of production (or out of V1) by hand")
    quarantine.add_argument("name", metavar="NAME", help="configuration name or config hash")
    quarantine.add_argument("--reason", help="why (required)")
    _as_option(quarantine)
    _json_option(quarantine)
    quarantine.set_defaults(handler=cmd_models_quarantine)

    history = sub.add_parser("history", help="stage changes, newest first")
    history.add_argument("name", nargs="?", metavar="NAME", help="only this configuration")
    history.add_argument("--limit", type=_positive_int, default=200, help="at most this many (default: 200)")
    _json_option(history)
    history.set_defaults(handler=cmd_models_history)

    monitor = sub.add_parser("monitor", help="watch production; a breach of the policy quarantines it")
    _dataset_option(monitor)
    _json_option(monitor)
    monitor.set_defaults(handler=cmd_models_monitor)

    re_evaluate = sub.add_parser("re-evaluate", help="re-evaluate every quarantined configuration")
    _dataset_option(re_evaluate)
    _json_option(re_evaluate)
    re_evaluate.set_defaults(handler=cmd_models_re_evaluate)

    datasets = sub.add_parser("datasets", help="the recorded dataset versions")
    _json_option(datasets)
    datasets.set_defaults(handler=cmd_models_datasets)


def _dataset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", metavar="VERSION", help="a recorded dataset version (default: the current one, with triage)"
    )


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _as_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="operator", metavar="EMAIL", help="the person overriding: an active experimenter or admin"
    )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return number


# -- plumbing ---------------------------------------------------------------------------------------------------


@contextmanager
def _lab(settings: Settings) -> Iterator[Lifecycle]:
    """The lifecycle with the candidate files registered."""
    from reviewlab.lifecycle.lab import open_lifecycle, sync_candidates

    with open_lifecycle(settings) as lifecycle:
        sync_candidates(lifecycle, settings, actor=CLI_ACTOR)
        yield lifecycle


def _dataset(lifecycle: Lifecycle, settings: Settings, version: str | None) -> Dataset:
    from reviewlab.lifecycle.lab import current_dataset, dataset_version

    if version is not None:
        return dataset_version(lifecycle, version)
    dataset, _feedback = current_dataset(lifecycle, settings)
    return dataset


def _operator(lifecycle: Lifecycle, email: str | None, what: str) -> str:
    """The id of the active experimenter or admin ``email`` names; an ``InputError`` otherwise."""
    from sqlalchemy import select

    from reviewlab.accounts.repository import USERS, normalize_email
    from reviewlab.store.failures import store_errors

    if not email:
        raise InputError(f"{what} needs --as EMAIL (an active experimenter or admin)")
    query = select(USERS.c.id, USERS.c.role, USERS.c.is_active).where(USERS.c.email == normalize_email(email))
    with store_errors(lifecycle.engine.url, "looking up the operator"), lifecycle.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        raise InputError(f"no account has the email {email!r}")
    if not row.is_active:
        raise InputError(f"the account {email!r} is deactivated")
    if row.role not in OVERRIDE_ROLES:
        raise InputError(f"{email} is a {row.role}: {what} needs an experimenter or admin")
    return str(row.id)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str))


def _num(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{float(value):.{digits}f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def _secs(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f}s"


def _version(stage: Stage) -> str:
    from reviewlab.lifecycle.models import Stage

    return "blacklisted" if stage is Stage.BLACKLISTED else f"{stage.version} {stage.value}"


def _stage_name(stage: str | None) -> str:
    from reviewlab.lifecycle.models import Stage

    return "(new)" if stage is None else _version(Stage(stage))


# -- commands ---------------------------------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace, settings: Settings) -> int:
    """Each configuration with its stage and its latest succeeded evaluation on the dataset."""
    with _lab(settings) as lifecycle:
        dataset = _dataset(lifecycle, settings, args.dataset)
        production = lifecycle.production()
        rows: list[dict[str, Any]] = []
        for model in lifecycle.models():
            evaluation = lifecycle.latest_evaluation(model, dataset.version)
            failed = None
            if evaluation is None:
                tried = lifecycle.evaluations(model=model.config_hash, dataset_version=dataset.version, limit=1)
                failed = tried[0].error if tried and tried[0].status == "failed" else None
            scores = None
            if evaluation is not None:
                metrics = evaluation.metrics or {}
                scores = {
                    "id": evaluation.id,
                    "f1": metrics.get("f1"),
                    "false_positive_rate": metrics.get("false_positive_rate"),
                    "latency_p95_s": metrics.get("latency_p95_s"),
                    "mlflow_run_id": evaluation.mlflow_run_id,
                }
            rows.append(
                {
                    "name": model.name,
                    "config_hash": model.config_hash,
                    "kind": model.kind,
                    "stage": model.stage.value,
                    "version": "blacklisted" if model.stage.value == "blacklisted" else model.stage.version,
                    "production": production is not None and production.id == model.id,
                    "evaluation": scores,
                    "last_error": failed,
                    "_stage": model.stage,
                }
            )
    if args.json:
        _print_json(
            {
                "dataset_version": dataset.version,
                "production": None if production is None else production.name,
                "models": [{k: v for k, v in row.items() if k != "_stage"} for row in rows],
            }
        )
        return EXIT_OK
    print(f"dataset {dataset.version} ({len(dataset.cases)} cases)")
    if not rows:
        print("no configurations: add candidate files under experiments/candidates")
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        marker = "*" if row["production"] else " "
        scores = row["evaluation"]
        measured = (
            ("evaluation failed (see `reviewlab models evaluate`)" if row["last_error"] else "not evaluated")
            if scores is None
            else f"F1 {_num(scores['f1'])}  FPR {_pct(scores['false_positive_rate'])}  "
            f"p95 {_secs(scores['latency_p95_s'])}"
        )
        print(
            f"{marker} {row['name']:<{width}}  {_version(row['_stage']):<16}  {row['kind']:<6}  "
            f"{row['config_hash']}  {measured}"
        )
    print(f"production: {production.name if production is not None else 'none'} (marked *)")
    return EXIT_OK


def cmd_models_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Evaluate each named configuration (or ``--all``); 1 when any evaluation failed."""
    from reviewlab.lifecycle.models import Stage
    from reviewlab.lifecycle.service import LifecycleError

    if args.all and args.names:
        raise InputError("name configurations or pass --all, not both")
    if not args.all and not args.names:
        raise InputError("name the configurations to evaluate, or pass --all")
    with _lab(settings) as lifecycle:
        if args.all:
            targets = [m for m in lifecycle.models() if m.stage is not Stage.BLACKLISTED]
        else:
            targets = [lifecycle.model(name) for name in args.names]
            for model in targets:
                if model.stage is Stage.BLACKLISTED:
                    raise LifecycleError(f"{model.name} is blacklisted; it is not evaluated any more")
        dataset = _dataset(lifecycle, settings, args.dataset)
        records = []
        for model in targets:
            record = lifecycle.evaluate(model.config_hash, dataset, trigger="manual", actor=CLI_ACTOR)
            records.append(record)
            if not args.json:
                _print_evaluation(record, len(dataset.cases))
    if args.json:
        _print_json([record.to_dict() for record in records])
    return EXIT_OK if all(record.succeeded for record in records) else EXIT_FAILED


def _print_evaluation(record: EvaluationRecord, cases: int) -> None:
    header = f"{record.model} ({record.config_hash}) on dataset {record.dataset_version}"
    if not record.succeeded:
        print(f"{header}: FAILED")
        print(f"  error: {record.error}")
        if record.mlflow_run_id:
            print(f"  MLflow run: {record.mlflow_run_id} (failed)")
        return
    m = record.metrics or {}
    took = "" if record.duration_s is None else f" in {record.duration_s:.1f}s"
    print(f"{header}: succeeded{took}")
    print(
        f"  precision {_num(m.get('precision'))}  recall {_num(m.get('recall'))}  F1 {_num(m.get('f1'))}  "
        f"FPR {_pct(m.get('false_positive_rate'))} (of {m.get('clean_cases', 0)} clean cases)"
    )
    print(f"  latency p50 {_secs(m.get('latency_p50_s'))}  p95 {_secs(m.get('latency_p95_s'))}")
    print(
        f"  tokens {m.get('tokens', 0)} (in {m.get('input_tokens', 0)}, out {m.get('output_tokens', 0)})  "
        f"cost ${float(m.get('cost_usd') or 0):.4f}"
    )
    print(f"  errors {m.get('errors', 0)} of {m.get('cases', cases)} cases ({_pct(m.get('error_rate'))})")
    per_category = m.get("per_category") or {}
    categories = ", ".join(f"{name} {_num(values.get('f1'))}" for name, values in sorted(per_category.items()))
    print(f"  per-category F1: {categories or '-'}")
    print(f"  MLflow run: {record.mlflow_run_id or '-'}")


def cmd_models_promote(args: argparse.Namespace, settings: Settings) -> int:
    """The promotion gate on the dataset, each check printed; 0 when promoted (or forced), 1 when refused."""
    if args.force and not (args.reason or "").strip():
        raise InputError("--force needs --reason TEXT")
    if args.force and not args.operator:
        raise InputError("--force needs --as EMAIL (an active experimenter or admin)")
    with _lab(settings) as lifecycle:
        what = "a forced promotion" if args.force else "promoting on someone's behalf"
        actor = _operator(lifecycle, args.operator, what) if args.operator else CLI_ACTOR
        model = lifecycle.model(args.name)
        dataset = _dataset(lifecycle, settings, args.dataset)
        decision = lifecycle.promote(model.config_hash, dataset, actor=actor, reason=args.reason, force=args.force)
        production = lifecycle.production()
    assert decision is not None  # noqa: S101 - a promotion on a dataset always has a decision
    promoted = production is not None and production.id == model.id
    outcome = "promoted" if decision.passed else "forced" if promoted else "refused"
    if args.json:
        _print_json(
            {
                "model": model.name,
                "config_hash": model.config_hash,
                "outcome": outcome,
                "production": None if production is None else production.name,
                "evidence": decision.evidence(),
            }
        )
        return EXIT_OK if promoted else EXIT_FAILED
    against = "no production (first promotion)" if decision.production is None else decision.production.name
    print(f"promotion gate for {model.name} against {against} on dataset {decision.dataset_version}:")
    for check in decision.verdict.checks:
        print(f"  {'passed' if check.passed else 'FAILED'}  {check.name}: {check.detail}")
    if outcome == "promoted":
        print(f"promoted: {model.name} is production (V2)")
    elif outcome == "forced":
        print(f"forced: {model.name} is production (V2) despite the gate; reason: {args.reason.strip()}")
    else:
        now = "none" if production is None else production.name
        print(f"refused: {model.name} stays {_version(model.stage)}; production is still {now}")
    return EXIT_OK if promoted else EXIT_FAILED


def cmd_models_quarantine(args: argparse.Namespace, settings: Settings) -> int:
    """Quarantine by hand (an experimenter or admin, with a reason); print what production is now."""
    if not (args.reason or "").strip():
        raise InputError("a quarantine needs --reason TEXT")
    if not args.operator:
        raise InputError("a quarantine needs --as EMAIL (an active experimenter or admin)")
    with _lab(settings) as lifecycle:
        actor = _operator(lifecycle, args.operator, "a quarantine")
        model = lifecycle.model(args.name)
        record = lifecycle.quarantine(model.config_hash, reason=args.reason, actor=actor, manual=True)
        production = lifecycle.production()
    if args.json:
        _print_json({**record.to_dict(), "production": None if production is None else production.name})
        return EXIT_OK
    print(f"quarantined {record.model} (V3): {record.reason}")
    if record.restored is not None:
        print(f"production is now {record.restored} (restored)")
    elif production is None:
        print("production is now none: no earlier configuration to restore")
    else:
        print(f"production is now {production.name} (unchanged)")
    return EXIT_OK


def cmd_models_history(args: argparse.Namespace, settings: Settings) -> int:
    """Stage changes newest first, of one configuration or all."""
    with _lab(settings) as lifecycle:
        transitions = lifecycle.history(args.name, limit=args.limit)
    if args.json:
        _print_json([transition.to_dict() for transition in transitions])
        return EXIT_OK
    if not transitions:
        print("no transitions yet")
    for t in transitions:
        how = "manual" if t.manual else "automatic"
        print(
            f"{t.at:%Y-%m-%d %H:%M:%S}  {t.model}  {_stage_name(t.from_stage)} -> {_stage_name(t.to_stage)}  "
            f"{how}  by {t.actor or '-'}  {t.reason}"
        )
    return EXIT_OK


def cmd_models_monitor(args: argparse.Namespace, settings: Settings) -> int:
    """Watch production on its recent analyses and the dataset; a breach quarantines it. 0 either way."""
    with _lab(settings) as lifecycle:
        dataset = _dataset(lifecycle, settings, args.dataset)
        report = lifecycle.monitor(dataset, actor=CLI_ACTOR)
        production = lifecycle.production()
    if args.json:
        _print_json({**report.to_dict(), "production": None if production is None else production.name})
        return EXIT_OK
    if report.model is None:
        print("no production configuration: nothing to monitor")
        return EXIT_OK
    print(f"production {report.model} ({report.config_hash}) since {report.window_start:%Y-%m-%d %H:%M:%S}:")
    print(f"  analyses {report.analyses}, errors {report.errors} ({_pct(report.error_rate)})")
    print(f"  latency p95 {_secs(report.latency_p95_s)}")
    print(
        f"  triaged findings {report.triaged}, false positives {report.false_positives} "
        f"({_pct(report.false_positive_share)})"
    )
    evaluation = report.evaluation or {}
    if evaluation:
        f1 = (evaluation.get("metrics") or {}).get("f1")
        status = evaluation.get("status")
        detail = f"F1 {_num(f1)} (promoted with {_num(evaluation.get('promoted_f1'))})"
        print(f"  dataset {dataset.version}: evaluation {status}" + (f", {detail}" if status == "succeeded" else ""))
    for breach in report.breaches:
        print(f"  breach: {breach}")
    if report.quarantined is not None:
        now = report.quarantined.restored or "none"
        print(f"quarantined: {report.model} moved to V3; production is now {now}")
    else:
        print("no breach: production unchanged" if not report.breaches else "production unchanged")
    return EXIT_OK


def cmd_models_re_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Re-evaluate every quarantined configuration; one line each with its outcome."""
    with _lab(settings) as lifecycle:
        dataset = _dataset(lifecycle, settings, args.dataset)
        outcomes = lifecycle.re_evaluate(dataset, actor=CLI_ACTOR)
    if args.json:
        _print_json([outcome.to_dict() for outcome in outcomes])
        return EXIT_OK
    if not outcomes:
        print("no configuration is quarantined")
    meaning = {"released": "released to V1", "failed": "stays in V3", "blacklisted": "blacklisted"}
    for outcome in outcomes:
        print(f"{outcome.model}: {meaning.get(outcome.outcome, outcome.outcome)}: {outcome.detail}")
    return EXIT_OK


def cmd_models_datasets(args: argparse.Namespace, settings: Settings) -> int:
    """The recorded dataset versions, newest first; the current one (recorded now if new) is marked."""
    with _lab(settings) as lifecycle:
        current = _dataset(lifecycle, settings, None)
        entries = lifecycle.datasets()
    rows = [{**entry, "current": entry.get("version") == current.version} for entry in entries]
    if args.json:
        _print_json(rows)
        return EXIT_OK
    for row in rows:
        marker = "*" if row["current"] else " "
        print(
            f"{marker} {row['version']}  {row.get('name', '-')}  {row.get('cases', 0)} cases  "
            f"{row.get('clean_cases', 0)} clean  {row.get('from_triage', 0)} from triage  "
            f"parent {row.get('parent') or '-'}  recorded {row.get('created_at', '-')}"
        )
    print("current dataset marked *")
    return EXIT_OK
