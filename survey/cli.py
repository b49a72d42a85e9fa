"""The ``survey`` command: wiring only.

Exit codes: 0 ok; 1 data problems found (``validate``); 2 unusable input or
usage (a :class:`survey.errors.SurveyError` — file, questionnaire or
arguments — reported in one line, never a traceback), and every ``OSError``
met writing an output (``--out`` a file, a full disk, no permission, a name
too long, a closed pipe), reported as a one-line
:class:`survey.errors.OutputError` naming the path and the fix.

Everything printed to the terminal -- errors, progress lines, paths -- has
its control, separator and bidirectional characters escaped
(:func:`survey.safetext.terminal_safe`): a file name, a wave or a
questionnaire string cannot send terminal escapes or forge a line.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from pathlib import Path

from survey.catalogue import Catalogue
from survey.errors import SurveyError
from survey.safetext import terminal_safe

__all__ = ["command", "main", "build_parser", "CLI_TEXT", "DEFAULTS", "USAGE_JA", "usage_message"]

DEFAULTS = {
    "questionnaire": None,  # the bundled questionnaire (survey.bundled), resolved when the command runs
    "data": Path("data/raw/midori_2025_sample.csv"),
    "margins": Path("data/midori_margins.csv"),
    "admin": Path("data/midori_admin.csv"),
    "out": Path("reports"),
}


#: The command's Japanese wording (``survey/cli_ja.yaml``, read when first used).
CLI_TEXT = Catalogue("survey", ("cli_ja.yaml",))
#: argparse's usage errors, matched in order on the English message, and their ``usage.<key>``.
_USAGE_KEYS = (
    ("unrecognized arguments", "unrecognized"),
    ("the following arguments are required", "required"),
    ("invalid choice", "invalid_choice"),
    ("expected one argument", "expected_value"),
    ("not allowed with argument", "not_allowed_with"),
    ("ambiguous option", "ambiguous"),
    ("invalid", "invalid_value"),
    ("argument ", "bad_argument"),
)


def __getattr__(name: str):
    """``USAGE_JA``: Japanese for argparse's usage errors, ``(English match, Japanese)`` in the
    order they are matched (PEP 562: the catalogue is not read at import)."""
    if name == "USAGE_JA":
        return tuple((match, CLI_TEXT(f"usage.{key}")) for match, key in _USAGE_KEYS)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def usage_message(message: str) -> str:
    """A usage error in Japanese, then English: ``知らないオプションです（--help を参照） /
    unrecognized arguments: --colour green (see --help)``."""
    key = next((key for match, key in _USAGE_KEYS if match in message), "other")
    return CLI_TEXT("usage_message", ja=CLI_TEXT(f"usage.{key}"), message=message)


def _wave(text: str) -> str:
    """``--wave``: a label that can be a folder name (``reports/<wave>/``)."""
    from survey.spec_checks import check_path_name

    try:
        return check_path_name(text, what="wave")
    except SurveyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a hint, as documented
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {usage_message(terminal_safe(message))}\n")


QUESTIONNAIRE_HELP = ("questionnaire YAML (default: the bundled questionnaires/midori_2025.yaml, installed with "
                      "the package, so the command works from any folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="survey", description="midori-survey: validate, weight and report citizen questionnaires.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="load, validate, weight and write the reports (defaults: the bundled wave)")
    run.add_argument("--questionnaire", type=Path, default=DEFAULTS["questionnaire"], help=QUESTIONNAIRE_HELP)
    run.add_argument("--data", type=Path, default=DEFAULTS["data"], help="raw respondent file (csv/xlsx/sav/parquet)")
    run.add_argument("--margins", type=Path, default=DEFAULTS["margins"], help="population cell counts (CSV)")
    run.add_argument("--admin", type=Path, default=DEFAULTS["admin"],
                     help="administrative figures of the indicators the questionnaire declares with source: admin "
                          "(CSV, see data/ADMIN.md)")
    run.add_argument("--min-cell", type=int, default=3, help="suppress cross-table cells under this count (default 3)")
    run.add_argument("--wave", type=_wave, default=None, help="wave label (default: the questionnaire's, e.g. FY2025)")
    run.add_argument("--baseline", type=Path, default=None,
                     help="raw file of the baseline wave: indicator changes are then tested between the two waves")
    run.add_argument("--mailing", type=Path, default=None,
                     help="CSV of this wave's mailing per cell of the plan's weighting.cells (e.g. district, "
                          "age_band, mailed: the mailing.csv of `survey plan`): base weights N_h/m_h per cell, "
                          "stratified design, then raking")
    run.add_argument("--sheet", default=None, help="worksheet of an .xlsx --data: name, or number from 1 "
                                                    "(default: the one visible sheet with data)")
    run.add_argument("--exclude-undecodable", action="store_true",
                     help="leave out (and list in the ledger) rows that cannot be read as delivered: undecodable "
                          "bytes, garbled text, too few fields, a heading row inside the data (default: refuse)")
    run.add_argument("--out", type=Path, default=DEFAULTS["out"], help="output folder (a sub-folder per wave)")
    run.add_argument("--quiet", action="store_true", help="no progress display")

    val = sub.add_parser("validate", help="check a delivered file against the questionnaire",
                         description="Check a delivered file against the questionnaire: by default the bundled "
                                     "questionnaires/midori_2025.yaml installed with the package, so "
                                     "`survey validate FILE` works from any folder.")
    val.add_argument("file", type=Path, help="the delivered file (.csv, .xlsx, .sav or .parquet)")
    val.add_argument("--questionnaire", type=Path, default=DEFAULTS["questionnaire"], help=QUESTIONNAIRE_HELP)
    val.add_argument("--format", choices=("text", "json", "csv", "xlsx"), default="text")
    val.add_argument("--out", type=Path, default=None, help="write the report here (stdout for text/json/csv)")
    val.add_argument("--sheet", default=None, help="worksheet of an .xlsx file: name, or number from 1 "
                                                    "(default: the one visible sheet with data)")

    sim = sub.add_parser("simulate", help="simulate a population and a delivered wave (the bundled sample data)")
    sim.add_argument("--questionnaire", type=Path, default=DEFAULTS["questionnaire"], help=QUESTIONNAIRE_HELP)
    sim.add_argument("--model", type=Path, default=None,
                     help="the simulation model (YAML; default: <questionnaire>_simulation.yaml beside the "
                          "questionnaire, see data/SIMULATION.md); alone, it names its questionnaire")
    sim.add_argument("--seed", type=int, default=None,
                     help="random seed (default: the model's seed for --wave, see data/SIMULATION.md)")
    sim.add_argument("--wave", type=_wave, default=None,
                     help="wave label (default: the questionnaire's, e.g. FY2025); its seed and shift come from the model")
    sim.add_argument("--out", type=Path, default=Path("data"))
    sim.add_argument("--force", action="store_true", help="replace an existing raw delivery (never done without it)")
    plan = sub.add_parser("plan", help="plan the next wave's mailing per cell (the plan's weighting.cells) from this wave")
    plan.add_argument("--questionnaire", type=Path, default=DEFAULTS["questionnaire"], help=QUESTIONNAIRE_HELP)
    plan.add_argument("--data", type=Path, default=DEFAULTS["data"], help="this wave's raw file")
    plan.add_argument("--margins", type=Path, default=DEFAULTS["margins"], help="population cell counts (CSV)")
    plan.add_argument("--mailing", type=Path, default=None, help="CSV of this wave's mailing per cell (<cells>, mailed)")
    plan.add_argument("--measure", default=None, help="indicator id shaping the allocation (default the first)")
    plan.add_argument("--method", default="neyman", choices=("neyman", "proportional", "proportional_respondents"))
    plan.add_argument("--half-width", type=float, default=0.05, help="city target half-width (0 for none)")
    plan.add_argument("--district-half-width", type=float, default=0.10,
                      help="the target of every level of the planning group, e.g. every district (0 for none)")
    plan.add_argument("--change", type=float, default=None, help="change between two waves to detect")
    plan.add_argument("--power", type=float, default=0.80)
    plan.add_argument("--level", type=float, default=0.95)
    plan.add_argument("--mailings", type=int, default=None, help="at most this many questionnaires")
    plan.add_argument("--budget", type=float, default=None, help="at most this much money")
    plan.add_argument("--cost-per-mailing", type=float, default=1.0)
    plan.add_argument("--cost-per-return", type=float, default=0.0)
    plan.add_argument("--min-respondents", type=float, default=None, help="expected respondents in every district")
    plan.add_argument("--spend-all", action="store_true", help="spend the whole budget even when targets need less")
    plan.add_argument("--out", type=Path, default=DEFAULTS["out"])
    plan.add_argument("--quiet", action="store_true")
    return parser


def _run_plan(args) -> int:
    from survey.pipeline.plan import run_plan

    targets = dict(half_width=args.half_width, group_half_width=args.district_half_width, change=args.change,
                   power=args.power, level=args.level, measure=args.measure)
    plan, files = run_plan(args.questionnaire, args.data, args.margins, out=args.out, mailing_path=args.mailing,
                           method=args.method, target_options=targets, progress=_progress(args.quiet),
                           measure=args.measure, budget=args.budget, mailings=args.mailings,
                           cost_per_mailing=args.cost_per_mailing, cost_per_return=args.cost_per_return,
                           min_respondents=args.min_respondents, spend_all=args.spend_all, level=args.level,
                           power=args.power)
    if not args.quiet:
        print(f"plan ({args.method}): {plan.totals['mailings']:,} mailed, "
              f"{plan.totals['respondents']:,.0f} respondents expected, "
              f"{'targets met' if plan.feasible else 'targets NOT met'}")
        print(f"tables written to {terminal_safe(files[0].parent)}")
    return 0


def _progress(quiet: bool):
    if quiet:
        return lambda message: None
    return lambda message: print(f"… {terminal_safe(message)}", file=sys.stderr, flush=True)


def _output_path(args):
    """What the command writes, for an error without a file name."""
    out = getattr(args, "out", None)
    return "standard output" if out is None else out


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's
    final flush does not fail a second time on the closed pipe."""
    try:
        target = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):   # not a real file (captured, replaced)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, target)
    finally:
        os.close(devnull)


def _one_blas_thread() -> None:
    """``survey run`` asks BLAS for one thread unless the environment says
    otherwise (``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, read when numpy
    loads): its matrices are small, and on a busy machine idle BLAS threads
    spin (weighted k-means of 200,000 respondents: 5.1 s of CPU with two
    threads, 1.9 s with one; the same numbers, issue 18)."""
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

def _python_strings() -> None:
    """``survey run`` keeps pandas' text columns (dtype ``str``) as Python strings instead of
    pyarrow arrays (issue 18): the report builds thousands of small frames of Japanese labels,
    and converting each to pyarrow and back cost a tenth of the run; the dtype, its missing
    values and every output are the same (tests/test_run.py compares the files)."""
    import pandas as pd

    pd.set_option("mode.string_storage", "python")


@contextlib.contextmanager
def _imports_untracked():
    """Import without the cyclic garbage collector, then freeze what was imported (issue 18):
    importing creates hundreds of thousands of objects that live as long as the process, which
    the collector would otherwise scan in each full collection (0.05 s while importing alone)."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from survey._version import __version__

        print(__version__)
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "questionnaire", "") is None and getattr(args, "model", None) is None:
        from survey.bundled import bundled_path

        args.questionnaire = bundled_path()
    try:
        if args.command in ("run", "plan", "simulate"):
            from survey.report.outdir import check_output_parent

            check_output_parent(args.out)      # a file given as --out: refused before any work
        if args.command == "run":
            _one_blas_thread()
            with _imports_untracked():
                from survey.pipeline.run import run_wave
            _python_strings()

            result = run_wave(args.questionnaire, args.data, args.margins, out=args.out,
                              progress=_progress(args.quiet), admin_path=args.admin, min_cell=args.min_cell,
                              wave=args.wave, baseline_data_path=args.baseline, mailing_path=args.mailing,
                              sheet=args.sheet, exclude_undecodable=args.exclude_undecodable)
            if not args.quiet:
                print(f"reports written to {terminal_safe(result.out_dir)}")
            return 0
        if args.command == "validate":
            from survey.intake.validate import validate_file

            report = validate_file(args.file, args.questionnaire, sheet=args.sheet)
            report.write(args.format, args.out)
            return 0 if report.ok else 1
        if args.command == "simulate":
            from survey.simulate import run_simulate

            written = run_simulate(args.out, seed=args.seed, wave=args.wave, questionnaire_path=args.questionnaire,
                                   model_path=args.model, force=args.force)
            for path in written.values():
                print(terminal_safe(path))
            return 0
        if args.command == "plan":
            return _run_plan(args)
    except SurveyError as exc:
        print(f"survey {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:   # writing failed: disk full, no permission, name too long, pipe closed ...
        from survey.report.outdir import output_error

        if isinstance(exc, BrokenPipeError):   # stdout closed (`| head`): no second error at exit
            _silence_stdout()
        print(f"survey {args.command}: error: {output_error(exc, _output_path(args))}", file=sys.stderr)
        return 2
    parser.print_help()
    return 2


def command() -> None:
    """The ``survey`` command (the console script and ``python -m survey``): :func:`main`'s exit
    code, without tearing the interpreter down once the output is flushed (issue 18: freeing the
    analysis libraries' objects one by one took 0.25 s of CPU after ``survey run`` had written
    everything; the files are closed by then).  When the flush fails (a closed pipe) or main
    raises, the interpreter exits as usual."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    command()
