"""Numbers from text: one rule for CSV fields, dialog fields and typed answers, with reasons a person can act on."""
from decimal import Decimal

import pytest

from backprop_lab.core.csv_io import read_csv
from backprop_lab.core.errors import AnswerError, CSVError, NumberError
from backprop_lab.core.numbers import is_number_text, number_problem, parse_int, parse_number, parse_typed
from backprop_lab.core.practice import parse_answer

PLAIN = ["0", "-2.5e-1", "+3", ".5", "7.", "1E+05", " 42 ", "5e-324", "1.7976931348623157e308"]
NOT_PLAIN = ["", "  ", "abc", "1_000", "\u0661\u0662", "\uff11", "0x10", "1e", "e5", "--1", "1,5", "1,000",
             "1,000,000", "\u22125", "nan", "-inf", "Infinity", "1e999", "1.2.3", "1 2"]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_numbers_read_as_python_reads_them(text):
    assert number_problem(text) is None and is_number_text(text)
    assert parse_number(text) == float(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_everything_else_is_refused_with_a_reason(text):
    why = number_problem(text)
    assert why
    with pytest.raises(NumberError) as e:
        parse_number(text, "Noise")
    assert isinstance(e.value, ValueError) and str(e.value) == f"Noise: {why}" and e.value.text == text


@pytest.mark.parametrize("text, reason", [
    ("", "a number is missing"),
    ("nan", "NaN is not allowed: every value must be a finite number"),
    ("-Infinity", "infinite values are not allowed"),
    ("1e999", "'1e999' is too large for a 64-bit float"),
    ("1_000", "'1_000' is not a number (write it without '_')"),
    ("\u22120.5", "'\u22120.5' is not a number (type the minus sign as '-')"),
    ("1,5", "'1,5' is not a number (use a decimal point, not a comma)"),
    ("1,000,000", "'1,000,000' is not a number (write it without thousands separators)"),
    ("abc", "'abc' is not a number"),
    ("x" * 100, repr("x" * 37 + "...") + " is not a number"),
])
def test_reasons(text, reason):
    assert number_problem(text) == reason


@pytest.mark.parametrize("text", PLAIN + NOT_PLAIN)
def test_a_csv_field_and_a_dialog_field_accept_the_same_numbers(tmp_path, text):
    """The CSV reader's fast path (float() on ASCII text) and the fields' rule agree on every case."""
    p = tmp_path / "one.csv"
    p.write_text(f"x,y\n1,{text}\n" if "," not in text else f'x,y\n1,"{text}"\n', encoding="utf-8")
    try:
        _, t = read_csv(p, header=True)
    except CSVError as e:
        assert number_problem(text) is not None
        assert number_problem(text) in str(e)
    else:
        assert number_problem(text) is None and t[0, 0] == float(text)


def test_is_number_text_counts_nan_and_infinity_as_numbers_in_the_wrong_place():
    """For guessing a header row: 'nan' is a (bad) number, not a column name."""
    for text in ("nan", "-inf", "INFINITY", "+NaN"):
        assert is_number_text(text) and number_problem(text)
    for text in ("1_000", "\u0661", "--inf", "nana", ""):
        assert not is_number_text(text)


def test_ranges_and_whole_numbers():
    assert parse_number("0.2", "f", 0.0, 1.0, hi_open=True) == 0.2
    with pytest.raises(NumberError, match=r"^f must be in \[0, 1\)$"):
        parse_number("1", "f", 0.0, 1.0, hi_open=True)
    with pytest.raises(NumberError, match=r"^the value must be in \[0, 1\]$"):
        parse_number("2", lo=0.0, hi=1.0)
    assert parse_int(" 200 ", "Samples", 1, 1000) == 200
    for text in ("1.5", "-5", "\u22125", "1e3", "0", "1001"):
        with pytest.raises(NumberError, match=r"^Samples must be a whole number from 1 to 1,000$"):
            parse_int(text, "Samples", 1, 1000)
    with pytest.raises(NumberError, match=r"^Samples: '1_000' is not a number \(write it without '_'\)$"):
        parse_int("1_000", "Samples", 1, 1000)
    with pytest.raises(NumberError, match="a whole number is needed"):
        parse_int(" ", "Samples")


def test_typed_answers_are_more_lenient_and_exact():
    assert parse_typed("\u22120,5") == Decimal("-0.5")
    assert parse_typed("5\u00d710\u207b\u00b3") == Decimal("0.005")
    assert parse_typed("0.1") == Decimal("0.1") != Decimal(0.1)  # exactly what was typed, not a float
    for text in ("nan", "inf", "1_000", "1,234.5", ""):
        with pytest.raises(NumberError):
            parse_typed(text)


def test_a_practice_answer_error_is_a_number_error():
    with pytest.raises(AnswerError) as e:
        parse_answer("abc")
    assert isinstance(e.value, NumberError) and e.value.text == "abc"
    assert "is not a number" in str(e.value)
