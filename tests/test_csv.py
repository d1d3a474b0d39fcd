"""CSV import, preview and export: a corpus of good and bad files, limits, a FIFO, exact round trips, fuzzing."""
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_lab.core import csv_io
from backprop_lab.core.datasets import CSVError, DataError, preview_csv, read_csv, read_csv_data, write_csv

CORPUS = Path(__file__).parent / "data" / "csv"


def corpus(name: str) -> str:
    return str(CORPUS / name)


def write(tmp_path: Path, text: str | bytes, name: str = "f.csv") -> str:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(p)


# -- good files ---------------------------------------------------------------------------------
def test_header_is_detected_and_last_column_is_the_target():
    d = read_csv_data(corpus("header.csv"))
    assert d.header == ["x1", "x2", "y"] and d.delimiter == ","
    assert d.inputs.tolist() == [[0.5, -1.25], [0.002, 3.0], [0.5, 7.0]]
    assert d.targets.tolist() == [[1.0], [0.0], [1.0]]
    assert d.inputs.dtype == d.targets.dtype == np.float64
    assert (d.input_names, d.target_names, d.classes) == (["x1", "x2"], ["y"], None)


def test_no_header_is_detected_and_columns_by_index():
    x, t = read_csv(corpus("no_header.csv"))
    assert x.tolist() == [[0.5, -1.25], [0.002, 3.0]] and t.tolist() == [[1.0], [0.0]]
    x, t = read_csv(corpus("no_header.csv"), inputs=[2, 0], targets=[-2])
    assert x.tolist() == [[1.0, 0.5], [0.0, 0.002]] and t.tolist() == [[-1.25], [3.0]]
    # Forcing header=True takes the first row as names.
    d = read_csv_data(corpus("no_header.csv"), header=True)
    assert d.header == ["0.5", "-1.25", "1"] and d.inputs.tolist() == [[0.002, 3.0]]


def test_header_false_reads_the_first_row_as_data_and_refuses_text():
    with pytest.raises(CSVError, match=r"line 1, column 1: 'x1' is not a number"):
        read_csv(corpus("header.csv"), header=False)


def test_quoted_fields_and_text_columns_that_are_not_selected():
    d = read_csv_data(corpus("quoted.csv"), inputs=["x1", "x2"], targets="y")
    assert d.inputs.tolist() == [[0.5, 1.5], [-0.5, 2.5], [1.0, 2.0]] and d.targets[:, 0].tolist() == [1, 0, 1]
    head, rows = preview_csv(corpus("quoted.csv"))
    assert head == ["name", "x1", "x2", "y"]
    assert rows[0][0] == "Smith, J." and rows[1][0] == 'He said "hi"' and rows[2][0] == "two\nlines"


@pytest.mark.parametrize("name, delimiter", [("semicolon.csv", ";"), ("tab.csv", "\t"), ("header.csv", ",")])
def test_delimiters_are_detected(name, delimiter):
    d = read_csv_data(corpus(name))
    assert d.delimiter == delimiter
    assert d.inputs.shape[1] == 2 and d.targets.shape[1] == 1


def test_one_hot_of_string_classes_in_sorted_order():
    d = read_csv_data(corpus("classes.csv"), one_hot="species")
    assert d.classes == ["setosa", "versicolor", "virginica"]
    assert d.target_names == ["species=setosa", "species=versicolor", "species=virginica"]
    assert d.targets.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]
    assert d.inputs.tolist() == [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0], [4.9, 1.4]]
    x, t = read_csv(corpus("classes.csv"), inputs=[1], one_hot=2)
    assert x[:, 0].tolist() == [1.4, 4.7, 6.0, 1.4] and t.shape == (4, 3)


def test_one_hot_of_numeric_classes_sorts_numerically_and_merges_equal_numbers():
    d = read_csv_data(corpus("numeric_classes.csv"), one_hot="class")
    assert d.classes == ["1.0", "2", "10"]  # 1 < 2 < 10, not "1.0" < "10" < "2"; "1" is the class "1.0"
    assert d.targets.tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 0, 0]]


def test_bom_crlf_blank_lines_and_spaces(tmp_path):
    p = write(tmp_path, "\ufeffa, b\r\n\r\n1, 2\r\n 3 ,4\r\n\r\n")
    d = read_csv_data(p)
    assert d.header == ["a", "b"] and d.inputs.tolist() == [[1.0], [3.0]] and d.targets.tolist() == [[2.0], [4.0]]


def test_same_column_as_input_and_target(tmp_path):
    x, t = read_csv(write(tmp_path, "1,2\n3,4\n"), inputs=[0, 1], targets=[0, 1])
    assert x.tolist() == t.tolist() == [[1, 2], [3, 4]]


def test_non_ascii_text_in_an_unused_column(tmp_path):
    x, t = read_csv(write(tmp_path, "name,x,y\ncafé,1.5,0\nδ,2.5,1\n"), inputs=["x"], targets=["y"])
    assert x.tolist() == [[1.5], [2.5]] and t.tolist() == [[0], [1]]


# -- bad files ------------------------------------------------------------------------------------
BAD = [
    ("ragged.csv", {}, r"ragged\.csv: line 3, column 3: missing field: this row has 2 field\(s\), line 1 has 3"),
    ("abc.csv", {}, r"abc\.csv: line 3, column 2 \('x2'\): 'abc' is not a number"),
    ("nan.csv", {}, r"line 2, column 2: NaN is not allowed"),
    ("inf.csv", {}, r"line 2, column 3: infinite values are not allowed"),
    ("overflow.csv", {}, r"line 2, column 2: '1e999' is too large"),
    ("missing.csv", {}, r"line 2, column 2: empty field"),
    ("empty.csv", {}, r"empty\.csv: line 1: the file is empty"),
    ("blank.csv", {}, r"line 1: the file is empty"),
    ("header_only.csv", {"header": True}, r"line 1: no data rows after the header"),
    ("binary.csv", {}, r"binary\.csv: line 3, column 1: binary content \(a NUL byte\)"),
    ("latin1.csv", {}, r"line 3, column 4: not UTF-8 text \(byte 0xe9\)"),
    ("utf16.csv", {}, r"line 1: UTF-16 text is not supported"),
    ("unclosed_quote.csv", {}, r"line 3: a quoted field that starts on this record is never closed"),
    ("bad_quote.csv", {}, r"line 2: bad quoting"),
    ("decimal_comma.csv", {}, r"line 2, column 1 \('x'\): '1,5' is not a number \(use a decimal point"),
    ("header.csv", {"inputs": ["x1", "nope"]}, r"line 1: no column named 'nope'; the header has 'x1', 'x2', 'y'"),
    ("header.csv", {"targets": [3]}, r"column index 3 is out of range: the rows have 3 column\(s\)"),
    ("no_header.csv", {"inputs": ["x1"]}, r"the file has no header row"),
    ("classes.csv", {"targets": [0], "one_hot": "species"}, r"either targets or one_hot"),
    ("header.csv", {"inputs": [0, 1, 2]}, r"no target columns"),
    ("header.csv", {"inputs": [0.5]}, r"0-based index or a header name"),
    ("header.csv", {"header": "yes"}, r"header must be None"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_files_are_refused_with_line_and_column(name, kwargs, message):
    with pytest.raises(CSVError, match=message) as e:
        read_csv(corpus(name), **kwargs)
    assert isinstance(e.value, DataError) and isinstance(e.value, ValueError)
    assert str(e.value).startswith(corpus(name))


def test_error_attributes_locate_the_problem():
    with pytest.raises(CSVError) as e:
        read_csv(corpus("abc.csv"))
    assert (e.value.line, e.value.column, e.value.column_name) == (3, 1, "x2")
    assert e.value.detail == "'abc' is not a number"


def test_line_numbers_count_physical_lines_through_quoted_newlines(tmp_path):
    p = write(tmp_path, 'note,x,y\n"a\nb\nc",1,2\nplain,zz,3\n')
    with pytest.raises(CSVError, match=r"line 5, column 2 \('x'\): 'zz' is not a number"):
        read_csv(p, inputs=["x"], targets=["y"])


@pytest.mark.parametrize("text", ["1_000,2\n", "\u0661,2\n", "１,2\n", "0x10,2\n", "1e,2\n"])
def test_only_plain_decimal_numbers(tmp_path, text):
    """float() itself takes "1_000" and non-ASCII digits; a data file must not."""
    with pytest.raises(CSVError, match=r"line 1, column 1: .* is not a number"):
        read_csv(write(tmp_path, text))


def test_a_huge_field_is_not_called_bad_quoting(tmp_path):
    """csv's field size limit: in an unused text column, or after a quote that is never closed."""
    long_text = write(tmp_path, "a,b\n1," + "x" * 200_000 + "\n2,3\n")
    with pytest.raises(CSVError, match=r"line 2: a field of the record starting here is longer than 131,072") as e:
        read_csv(long_text, inputs=[0], targets=[0])
    assert "bad quoting" not in str(e.value)
    unclosed = write(tmp_path, 'a,b\n1,"2\n' + "3,4\n" * 50_000, "unclosed.csv")
    with pytest.raises(CSVError, match=r"unclosed\.csv: line 2: .*a quote that is never closed"):
        read_csv(unclosed)


def test_one_hot_problems(tmp_path):
    with pytest.raises(CSVError, match=r"line 3, column 2 \('c'\): empty class label"):
        read_csv(write(tmp_path, "x,c\n1,a\n2,\n"), one_hot="c")
    with pytest.raises(CSVError, match=r"line 1: the header names 'x' 2 times \(columns 1, 2\)"):
        read_csv(write(tmp_path, "x,x,y\n1,2,3\n"), inputs=["x"])


def test_a_fifo_is_refused_without_opening_it(tmp_path, monkeypatch):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with monkeypatch.context() as m:
        def no_open(*args, **kwargs):
            raise AssertionError("read_csv opened the FIFO")
        m.setattr(csv_io.os, "open", no_open)
        with pytest.raises(CSVError, match="a named pipe"):
            read_csv(fifo)
    # And for real, guarded: if it ever blocked, the test must not hang.
    outcome = []

    def attempt():
        try:
            read_csv(fifo)
        except CSVError as e:
            outcome.append(str(e))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # it opened the FIFO and blocks: release it, then fail
        with open(fifo, "wb"):
            pass
        worker.join(5)
        pytest.fail("read_csv opened a FIFO and blocked")
    assert outcome and "a named pipe (FIFO), not a regular file" in outcome[0]
    with pytest.raises(CSVError, match="a folder, not a regular file"):
        read_csv(tmp_path)
    with pytest.raises(CSVError, match="cannot read the file: No such file"):
        read_csv(tmp_path / "missing.csv")


# -- limits ---------------------------------------------------------------------------------------
def test_too_many_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_CSV_ROWS", 3)
    assert read_csv(write(tmp_path, "a,b\n1,2\n3,4\n5,6\n"))[0].shape == (3, 1)
    with pytest.raises(CSVError, match=r"line 5: more than 3 data rows"):
        read_csv(write(tmp_path, "a,b\n1,2\n3,4\n5,6\n7,8\n"))


def test_too_many_columns(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_CSV_COLUMNS", 3)
    with pytest.raises(CSVError, match=r"line 1, column 4: more than 3 columns \(4\)"):
        read_csv(write(tmp_path, "1,2,3,4\n"))
    with pytest.raises(CSVError, match=r"different values; at most 3 classes"):
        read_csv(write(tmp_path, "1,a\n2,b\n3,c\n4,d\n"), one_hot=1)


def test_too_many_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_CSV_NUMBERS", 5)
    with pytest.raises(CSVError, match=r"line 3: more than 5 numbers"):
        read_csv(write(tmp_path, "1,2\n3,4\n5,6\n"))
    with pytest.raises(CSVError, match=r"with the one-hot columns; the limit is 5"):
        read_csv(write(tmp_path, "1,a\n2,b\n"), one_hot=1)


def test_size_is_checked_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(csv_io.MAX_CSV_BYTES + 1)  # sparse: nothing is written, and nothing must be read
    with pytest.raises(CSVError, match=r"big\.csv: the file is 64\.0 MB; CSV files are limited to 64 MB"):
        read_csv(big)
    monkeypatch.setattr(csv_io, "MAX_CSV_BYTES", 10)
    with pytest.raises(CSVError, match="limited to"):
        preview_csv(write(tmp_path, "1,2\n3,4\n5,6\n"))


# -- preview ---------------------------------------------------------------------------------------
def test_preview_shows_the_first_rows_as_text():
    head, rows = preview_csv(corpus("classes.csv"), rows=2)
    assert head == ["sepal", "petal", "species"] and rows == [["5.1", "1.4", "setosa"], ["7.0", "4.7", "versicolor"]]
    head, rows = preview_csv(corpus("no_header.csv"))
    assert head is None and rows == [["0.5", "-1.25", "1"], ["2e-3", "3.0", "0"]]
    head, rows = preview_csv(corpus("ragged.csv"))  # shown as they are, not refused
    assert rows == [["1", "2", "3"], ["4", "5"]]
    for bad in ("binary.csv", "empty.csv"):
        with pytest.raises(CSVError):
            preview_csv(corpus(bad))
    with pytest.raises(CSVError, match="rows must be"):
        preview_csv(corpus("header.csv"), rows=0)


# -- export ----------------------------------------------------------------------------------------
def test_write_read_round_trip_is_bit_exact(tmp_path, rng):
    x = rng.normal(0, 1, (50, 3)) * rng.choice([1e-300, 1e-5, 1, 1e10, 1e300], (50, 3))
    x[0, 0], x[1, 1], x[2, 2] = -0.0, 0.1 + 0.2, 5e-324
    t = rng.uniform(0, 1, (50, 2))
    p = tmp_path / "out.csv"
    write_csv(p, x, t)
    d = read_csv_data(p, inputs=[0, 1, 2], targets=[3, 4])
    assert d.header == ["x1", "x2", "x3", "t1", "t2"]
    assert d.inputs.tobytes() == x.tobytes() and d.targets.tobytes() == t.tobytes()
    write_csv(p, x, t, header=False)
    xb, tb = read_csv(p, inputs=[0, 1, 2], targets=[3, 4])
    assert xb.tobytes() == x.tobytes() and tb.tobytes() == t.tobytes()
    assert p.read_text().splitlines()[1].split(",")[1] == repr(0.1 + 0.2)  # no header now: row 2 is line 2


def test_write_with_names_that_need_quoting(tmp_path):
    p = tmp_path / "n.csv"
    write_csv(p, [[1.0]], [[0.0, 1.0]], input_names=['size, "cm"'], target_names=["a", "b"])
    assert p.read_text().splitlines()[0] == '"size, ""cm""",a,b'
    assert read_csv_data(p, inputs=['size, "cm"'], targets=["a", "b"]).targets.tolist() == [[0.0, 1.0]]


def test_write_refuses_bad_data_and_keeps_the_old_file(tmp_path):
    p = tmp_path / "keep.csv"
    p.write_text("old\n")
    with pytest.raises(DataError, match="not a finite number"):
        write_csv(p, [[np.nan]], [[1.0]])
    with pytest.raises(DataError, match="1 input and 1 target names for 2 input"):
        write_csv(p, [[1.0, 2.0]], [[1.0]], input_names=["a"])
    missing = tmp_path / "no-such-folder" / "x.csv"
    with pytest.raises(CSVError, match=r"no-such-folder/x\.csv: cannot write the file: No such file") as e:
        write_csv(missing, [[1.0]], [[1.0]])
    assert isinstance(e.value, DataError) and e.value.source == str(missing)
    assert p.read_text() == "old\n" and os.listdir(tmp_path) == ["keep.csv"]


def test_write_to_a_folder_says_so_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(CSVError, match=r"out: cannot write the file: Is a directory"):
        write_csv(tmp_path / "out", [[1.0]], [[1.0]])
    assert sorted(os.listdir(tmp_path)) == ["out"] and os.listdir(tmp_path / "out") == []


def test_written_files_get_the_usual_permissions(tmp_path):
    """A new export is readable as the umask says (not private, as a mkstemp file would be); a replaced
    file keeps its own mode."""
    old_umask = os.umask(0o022)
    try:
        p = tmp_path / "new.csv"
        write_csv(p, [[1.0]], [[2.0]])
        assert p.stat().st_mode & 0o777 == 0o644
        p.chmod(0o600)
        write_csv(p, [[3.0]], [[4.0]])
        assert p.stat().st_mode & 0o777 == 0o600 and read_csv(p)[0].tolist() == [[3.0]]
    finally:
        os.umask(old_umask)


# -- fuzzing ---------------------------------------------------------------------------------------
_ALPHABET = list(",;\t\"\n\r 0123456789.-+eE_") + ["nan", "inf", "x", "é", "\x00", "\ufeff", "1,5"]


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    # Module-scoped: hypothesis runs many examples in one call of the test function.
    return tmp_path_factory.mktemp("fuzz") / "fuzz.csv"


def _check_any(path: Path, data: bytes, **kwargs) -> None:
    with open(path, "wb") as f:
        f.write(data)
    for call in (lambda: read_csv(path, **kwargs), lambda: preview_csv(path)):
        try:
            result = call()
        except CSVError:
            continue
        if isinstance(result[0], np.ndarray):
            x, t = result
            assert x.dtype == t.dtype == np.float64 and len(x) == len(t) >= 1
            assert np.isfinite(x).all() and np.isfinite(t).all()


@given(data=st.binary(max_size=200))
def test_fuzz_random_bytes_raise_only_csv_errors(fuzz_file, data):
    _check_any(fuzz_file, data)


@given(pieces=st.lists(st.sampled_from(_ALPHABET), max_size=60),
       kwargs=st.sampled_from([{}, {"header": True}, {"one_hot": 0}, {"inputs": [0]}]))
def test_fuzz_csv_like_text_raises_only_csv_errors(fuzz_file, pieces, kwargs):
    _check_any(fuzz_file, "".join(pieces).encode("utf-8"), **kwargs)
