"""Practice mode without Qt: the next computation's result is hidden, the learner types it and is scored.

A :class:`PracticeSession` follows the iteration being stepped through: the
record at :attr:`PracticeSession.position` (the next computation to perform)
is asked when it is in the plan; :meth:`~PracticeSession.check` judges a typed
answer, :meth:`~PracticeSession.hint` reveals the operands one at a time and
:meth:`~PracticeSession.reveal` gives up.  Each question is answered once: a
number that is right or wrong settles it (and the correct value is shown);
text that is not a number is refused and costs nothing.

Tolerance.  An answer *a* (the decimal the learner typed, exactly as typed) is
right for the engine's value *x* (its float64, exactly) when::

    |a − x| ≤ max(rel · |x|, ½ · 10^(−d))

evaluated exactly in decimal arithmetic, so an answer exactly at the bound is
right and the smallest step beyond it is wrong.  ``rel`` is 1e-3 by default
(agreement to about the first three significant digits); ``d`` is the number
of decimals the window shows (9 by default), so an answer that rounds to the
shown value always counts, and the exact answer 0 for a result of 0 too.
"""
from __future__ import annotations

import decimal
import hashlib
import math
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import AnswerError, NumberError, PracticeError
from .numbers import MAX_TYPED_CHARS, parse_typed
from .trace import Computation, Trace, format_number

__all__ = ["REL_TOL", "AnswerError", "PracticeError", "Verdict", "Score", "parse_answer", "tolerance",
           "is_right", "full_plan", "faded_plan", "FADE_STAGES", "PracticeSession"]

REL_TOL = 1e-3
#: Longest answer read (the typed-number rule of :mod:`.numbers`).
MAX_ANSWER_CHARS = MAX_TYPED_CHARS
OUTCOMES = ("first_try", "after_hints", "wrong", "revealed")

#: Phases left to the learner in practice round 1, 2, 3, …: the worked example is shown in full
#: first, then results are faded from the end of the iteration backwards ("backward fading"),
#: until every result is asked from round 5 on.
FADE_STAGES: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"update"}),
    frozenset({"backward", "update"}),
    frozenset({"loss", "backward", "update"}),
)


@dataclass(frozen=True)
class Verdict:
    """The judgement of one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is within the tolerance (False for a reveal).
    expected : float
        The engine's value.
    tolerance : float
        The absolute bound the answer had to meet, ``max(rel·|x|, ½·10^(−d))``.
    message : str
        What to tell the learner (plain text).
    answer : float or None
        The typed value (None for a reveal).
    outcome : str
        ``first_try``, ``after_hints``, ``wrong`` or ``revealed``.
    """

    correct: bool
    expected: float
    tolerance: float
    message: str
    answer: float | None = None
    outcome: str = "wrong"


@dataclass
class Score:
    """Outcomes of the questions of one iteration."""

    first_try: int = 0
    after_hints: int = 0
    wrong: int = 0
    revealed: int = 0

    @property
    def right(self) -> int:
        """Questions answered right, first try or after hints."""
        return self.first_try + self.after_hints

    @property
    def answered(self) -> int:
        """Questions settled (answered or revealed)."""
        return self.first_try + self.after_hints + self.wrong + self.revealed

    def text(self) -> str:
        """E.g. ``3 right first try · 1 after hints · 1 wrong · 0 revealed``."""
        return (f"{self.first_try} right first try · {self.after_hints} after hints · {self.wrong} wrong · "
                f"{self.revealed} revealed")


# -- answers ------------------------------------------------------------------------------------------
def parse_answer(text: str) -> Decimal:
    """The number a person typed, exactly, as a :class:`~decimal.Decimal`.

    Accepts ``0.5933``, ``-0.1`` and ``−0.1`` (any dash as minus), ``+2``,
    ``.5``, a decimal comma (``0,5933``), ``5e-3``, ``5E-3`` and ``5×10^-3``
    (also ``*10^``, ``·10**``, and superscripts as in ``5×10⁻³``); the rule is
    :func:`backprop_lab.core.numbers.parse_typed`.

    Raises
    ------
    AnswerError
        For anything else (empty text, words, ``nan``/``inf``, two decimal
        separators, digit grouping, exponents of more than four digits).
    """
    try:
        return parse_typed(text)
    except NumberError as e:
        raise AnswerError(str(e), text=e.text) from None


def _context() -> decimal.Context:
    # Exact for every float64 (at most 767 significant decimal digits) and every typed answer.
    return decimal.Context(prec=2000, Emax=999_999, Emin=-999_999)


def tolerance(expected: float, rel: float = REL_TOL, digits: int = 9) -> Decimal:
    """The absolute bound ``max(rel·|x|, ½·10^(−digits))`` for the engine's value *expected*.

    Raises
    ------
    PracticeError
        If *expected* is not finite, *rel* is outside [0, 1) or *digits* outside 0…17.
    """
    if not math.isfinite(expected):
        raise PracticeError(f"cannot compare with a non-finite value ({expected})")
    if not 0.0 <= rel < 1.0:
        raise PracticeError(f"relative tolerance must be in [0, 1), got {rel!r}")
    if not (isinstance(digits, int) and 0 <= digits <= 17):
        raise PracticeError(f"digits must be an integer from 0 to 17, got {digits!r}")
    with decimal.localcontext(_context()):
        return max(Decimal(repr(float(rel))) * abs(Decimal(float(expected))), Decimal(5).scaleb(-(digits + 1)))


def is_right(answer: Decimal | float | str, expected: float, rel: float = REL_TOL, digits: int = 9) -> bool:
    """Whether *answer* is within :func:`tolerance` of *expected* (exactly, in decimal arithmetic).

    A non-finite *expected* is never matched.
    """
    if not math.isfinite(expected):
        return False
    a = parse_answer(answer) if isinstance(answer, str) else Decimal(answer)
    with decimal.localcontext(_context()):
        return abs(a - Decimal(float(expected))) <= tolerance(expected, rel, digits)


def _two_digits(v: float) -> str:
    """*v* rounded to two significant digits (``0.00038``, ``200``, ``4.4e−7``)."""
    if v == 0 or not math.isfinite(v):
        return format_number(v)
    if abs(v) < 1e-4:
        mant, exp = f"{v:.1e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}".replace("-", "−")
    text = f"{v:.{max(0, 1 - math.floor(math.log10(abs(v))))}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−")


# -- plans --------------------------------------------------------------------------------------------
def _askable(trace: Trace) -> list[int]:
    """Records a learner may be asked: with a batch, per-sample ones only for its first sample.

    The other samples repeat the same arithmetic with other numbers; they are shown.
    """
    return [k for k, r in enumerate(trace.records) if r.sample is None or r.sample == 0]


def full_plan(trace: Trace) -> set[int]:
    """Every askable record of *trace* (with a batch: the first sample's and the batch-level ones)."""
    return set(_askable(trace))


def faded_plan(iteration: int, trace: Trace) -> set[int]:
    """The record indices to ask in practice round *iteration* (1 = the first iteration practised).

    Round 1 asks nothing (a fully shown worked example); round 2 asks the
    updates, round 3 the backward pass and updates, round 4 also the loss,
    round 5 and later everything askable (see :data:`FADE_STAGES`).
    """
    if iteration < 1:
        raise PracticeError(f"practice rounds count from 1, got {iteration}")
    if iteration > len(FADE_STAGES):
        return full_plan(trace)
    phases = FADE_STAGES[iteration - 1]
    return {k for k in _askable(trace) if trace.records[k].phase in phases}


# -- the session --------------------------------------------------------------------------------------
@dataclass
class _Question:
    hints: int = 0
    verdict: Verdict | None = None


@dataclass
class _IterationState:
    fingerprint: bytes
    questions: dict[int, _Question] = field(default_factory=dict)


def _fingerprint(trace: Trace) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for r in trace.records:
        h.update(f"{r.kind}|{r.target}|{r.result!r};".encode())
    return h.digest()


class PracticeSession:
    """Asks the learner for the results of an iteration's computations and keeps the score.

    Parameters
    ----------
    rel_tol : float
        Relative tolerance (default :data:`REL_TOL` = 1e-3); must be in [0, 1).
    digits : int
        Decimals the window shows; sets the absolute floor ½·10^(−digits) and
        the numbers in messages.
    faded : bool
        Ask by :func:`faded_plan` (worked example first) instead of everything.
    """

    def __init__(self, *, rel_tol: float = REL_TOL, digits: int = 9, faded: bool = False) -> None:
        self.configure(rel_tol=rel_tol, digits=digits, faded=faded)
        self.trace: Trace | None = None
        self.position = 0
        self.first_iteration: int | None = None
        self._iterations: dict[int, _IterationState] = {}

    def configure(self, *, rel_tol: float | None = None, digits: int | None = None,
                  faded: bool | None = None) -> None:
        """Change the tolerance, the decimals or the plan (answers already given keep their verdicts)."""
        if rel_tol is not None:
            if not (isinstance(rel_tol, (int, float)) and 0.0 <= rel_tol < 1.0):
                raise PracticeError(f"relative tolerance must be a number in [0, 1), got {rel_tol!r}")
            self.rel_tol = float(rel_tol)
        if digits is not None:
            if not (isinstance(digits, int) and 0 <= digits <= 17):
                raise PracticeError(f"digits must be an integer from 0 to 17, got {digits!r}")
            self.digits = digits
        if faded is not None:
            self.faded = bool(faded)

    # -- following the stepping ---------------------------------------------------------------------
    def load(self, trace: Trace, position: int = 0) -> None:
        """Practise *trace* from record *position* (the next computation to perform).

        Loading the same iteration again (e.g. its preview, then the trace being
        stepped into) keeps its answers; a different trace for an iteration
        number (after an edit) starts that iteration's questions afresh.
        """
        if not 0 <= position <= len(trace.records):  # checked first: a refused load changes nothing
            raise PracticeError(f"position {position} is outside the iteration (0…{len(trace.records)})")
        fp = _fingerprint(trace)
        st = self._iterations.get(trace.iteration)
        if st is None or st.fingerprint != fp:
            self._iterations[trace.iteration] = _IterationState(fp)
        if self.first_iteration is None:
            self.first_iteration = trace.iteration
        self.trace = trace
        self.go_to(position)

    def go_to(self, position: int) -> None:
        """Move to record *position* (``len(trace)`` = the iteration is complete)."""
        if self.trace is None:
            raise PracticeError("no iteration is loaded")
        if not 0 <= position <= len(self.trace.records):
            raise PracticeError(f"position {position} is outside the iteration (0…{len(self.trace.records)})")
        self.position = position

    def restart(self) -> None:
        """Forget every answer; the next loaded iteration is round 1."""
        self._iterations.clear()
        self.first_iteration = None
        if self.trace is not None:
            self.load(self.trace, self.position)

    @property
    def fingerprint(self) -> bytes | None:
        """Identifies the loaded iteration's numbers (equal traces give equal fingerprints)."""
        if self.trace is None:
            return None
        return self._iterations[self.trace.iteration].fingerprint

    @property
    def round(self) -> int:
        """Practice round of the loaded iteration: 1 for the first iteration practised."""
        if self.trace is None or self.first_iteration is None:
            return 1
        return max(1, self.trace.iteration - self.first_iteration + 1)

    @property
    def plan(self) -> set[int]:
        """Indices of the loaded iteration's records that are asked."""
        if self.trace is None:
            return set()
        return faded_plan(self.round, self.trace) if self.faded else full_plan(self.trace)

    @property
    def record(self) -> Computation | None:
        """The next computation (asked or shown), or None when the iteration is complete."""
        if self.trace is None or self.position >= len(self.trace.records):
            return None
        return self.trace.records[self.position]

    @property
    def asked(self) -> bool:
        """Whether the next computation is a question (in the plan)."""
        return self.record is not None and self.position in self.plan

    def next_question(self, start: int | None = None) -> int | None:
        """Index of the first asked record at or after *start* (default: the position), or None."""
        if self.trace is None:
            return None
        start = self.position if start is None else start
        plan = self.plan
        return next((k for k in range(start, len(self.trace.records)) if k in plan), None)

    def _question(self) -> _Question:
        if not self.asked:
            raise PracticeError("the next computation is not a question: it is shown (or the iteration is done)")
        st = self._iterations[self.trace.iteration]  # type: ignore[union-attr]
        return st.questions.setdefault(self.position, _Question())

    @property
    def verdict(self) -> Verdict | None:
        """The verdict of the current question once it is settled (answered or revealed)."""
        if not self.asked:
            return None
        return self._question().verdict

    @property
    def hints(self) -> list[str]:
        """The hints shown so far for the current question."""
        if not self.asked:
            return []
        q = self._question()
        return self._hint_texts(self.record)[:q.hints]  # type: ignore[arg-type]

    # -- answering --------------------------------------------------------------------------------------
    def _fmt(self, v: float) -> str:
        return format_number(v, self.digits)

    def _hint_texts(self, rec: Computation) -> list[str]:
        texts = [f"{name} = {self._fmt(v)}" for name, v in rec.operands]
        sub = rec.substituted(self.digits)
        if rec.operands and sub != rec.expansion:
            texts.append(f"{rec.target} = {sub}")
        elif not rec.operands:
            texts.append(f"{rec.target} = {rec.expansion}")
        return texts

    def hint(self) -> str:
        """Reveal the next operand (then the equation with its numbers); returns that hint.

        Taking a hint before answering turns a right answer into "right after hints".
        When every hint is shown, says so (and counts nothing).
        """
        q = self._question()
        texts = self._hint_texts(self.record)  # type: ignore[arg-type]
        if q.hints >= len(texts):
            return "No more hints: every number is shown. Reveal shows the result."
        q.hints += 1
        return texts[q.hints - 1]

    def check(self, answer_text: str) -> Verdict:
        """Judge *answer_text* for the current question.

        Raises
        ------
        AnswerError
            The text is not a number (nothing is counted; the learner may try again).
        PracticeError
            There is no question open.

        A question already settled returns its verdict again unchanged.
        """
        q = self._question()
        if q.verdict is not None:
            return q.verdict
        a = parse_answer(answer_text)
        rec = self.record
        x = rec.result  # type: ignore[union-attr]
        tol = tolerance(x, self.rel_tol, self.digits) if math.isfinite(x) else Decimal(0)
        right = math.isfinite(x) and is_right(a, x, self.rel_tol, self.digits)
        outcome = ("first_try" if q.hints == 0 else "after_hints") if right else "wrong"
        q.verdict = Verdict(right, x, float(tol), self._message(rec, a, right, tol), float(a), outcome)
        return q.verdict

    def reveal(self) -> Verdict:
        """Give up on the current question: it counts as revealed and the value is shown."""
        q = self._question()
        if q.verdict is None:
            rec = self.record
            x = rec.result  # type: ignore[union-attr]
            tol = tolerance(x, self.rel_tol, self.digits) if math.isfinite(x) else Decimal(0)
            q.verdict = Verdict(False, x, float(tol), f"Revealed: {rec.target} = {self._fmt(x)}.",  # type: ignore
                                None, "revealed")
        return q.verdict

    def _tolerance_text(self, x: float, tol: Decimal) -> str:
        with decimal.localcontext(_context()):
            floor_rules = tol > Decimal(repr(self.rel_tol)) * abs(Decimal(x))
        if floor_rules:
            return f"anything within ±{_two_digits(float(tol))}, half a unit in the last shown decimal, counts"
        return f"anything within {format_number(self.rel_tol * 100, 6)} %, ±{_two_digits(float(tol))}, counts"

    def _message(self, rec: Computation, a: Decimal, right: bool, tol: Decimal) -> str:
        x = rec.result
        typed = format_number(float(a), max(self.digits, 12))
        if not math.isfinite(x):
            return f"The engine's value is {self._fmt(x)}, which cannot be matched: the computation overflowed."
        if right:
            return f"Right! {rec.target} = {self._fmt(x)} (you typed {typed}; {self._tolerance_text(x, tol)})."
        text = f"Not quite: {rec.target} = {self._fmt(x)}; you typed {typed}"
        if x != 0:
            text += f", {_two_digits(abs(float(a) - x) / abs(x) * 100)} % off"
        if x != 0 and float(a) != 0 and (float(a) > 0) != (x > 0):
            text += ": the sign is the other way round"
        elif x != 0 and math.isclose(float(a), 2 * x, rel_tol=max(self.rel_tol, 1e-12)):
            text += ": that is twice the value (a ½ or a mean missing?)"
        elif x != 0 and math.isclose(float(a), x / 2, rel_tol=max(self.rel_tol, 1e-12)):
            text += ": that is half the value"
        return text + f" ({self._tolerance_text(x, tol)})."

    # -- score --------------------------------------------------------------------------------------------
    def score(self, iteration: int | None = None) -> Score:
        """Outcomes so far in *iteration* (default: the loaded one)."""
        if iteration is None:
            if self.trace is None:
                return Score()
            iteration = self.trace.iteration
        st = self._iterations.get(iteration)
        sc = Score()
        for q in (st.questions.values() if st else ()):
            if q.verdict is not None:
                setattr(sc, q.verdict.outcome, getattr(sc, q.verdict.outcome) + 1)
        return sc

    @property
    def iterations(self) -> list[int]:
        """Iterations with at least one settled question, in order."""
        return sorted(i for i, st in self._iterations.items() if any(q.verdict for q in st.questions.values()))

