"""Reading a user's own ratings files for the benchmark (``python -m helpers.benchmark --train --test``).

Real exports are rarely the tidy ``user_id,item_id,rating`` file. Each case below is either
accepted, with a note that says what was done (printed, and kept in metrics.json), or refused with
one line that says what is wrong and what to do (``InputError``, exit code 2). Nothing is guessed
silently.

Accepted, with a note:

- a UTF-8 file with a byte-order mark, or a UTF-16 one (Excel's "Unicode text" export);
- the separators tab, comma, semicolon (Excel in many European locales, where ``3,5`` is a rating
  of 3.5: decimal commas are then read as points) and ``::`` (MovieLens 1M and 10M ``.dat``);
- common column names: ``userId``/``user``/``customer_id``…, ``movieId``/``item``/``product_id``/
  ``asin``…, ``score``/``stars``… (any case; ``user_id``, ``item_id``, ``rating`` win if present);
- no header line, when the first line is 3 or 4 numbers: read as user_id, item_id, rating
  [, timestamp], the order of MovieLens' ``u.data`` and its ``u1.base``/``u1.test`` splits;
- a (user, item) pair rated more than once in a file (a re-rating): the latest rating is kept, by
  the ``timestamp`` column when there is a numeric one, else the last line;
- TEST rows whose (user, item) pair TRAIN also rates: they are dropped from TEST (a model would be
  scored on a rating it was trained on).

Refused, exit code 2: a missing, unreadable, empty or non-UTF text file; a header without a known
separator or without one of the three columns; two columns that could both be the same one; a
line with too many or too few fields; an empty id; a rating that is not a number; TEST sharing no
user with TRAIN; TEST with every row already in TRAIN (the same file twice). The benchmark adds
the checks that need the models (``helpers.benchmark.check_models``): a missing peer package, a
catalogue too large for EASE, and rating models on ratings that are all one value (implicit
feedback such as clicks, which only the ranking models can use).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import IdEncoding

REQUIRED_COLUMNS = ("user_id", "item_id", "rating")
ALIASES = {
    "user_id": ("userid", "user", "uid", "customerid", "customer", "reviewerid", "visitorid", "memberid"),
    "item_id": ("itemid", "item", "iid", "movieid", "movie", "productid", "product", "asin", "isbn",
                "bookid", "trackid", "songid", "artistid"),
    "rating": ("score", "stars", "starrating", "ratingvalue", "bookrating", "overall", "value"),
}
"""Other names the three columns go by in real exports (compared in lower case, without ``_``,
``-`` or spaces)."""

HEADERLESS_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
SEPARATORS = (("\t", "tab"), ("::", "'::'"), (",", "comma"), (";", "semicolon"))


class InputError(ValueError):
    """Bad input to the benchmark; the message says what is wrong and what to do (exit code 2)."""


def _decode(path: Path, role: str, notes: list[str]) -> str:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InputError(f"{role} file {path} cannot be read ({error.strerror or error}): "
                         "check its permissions.") from None
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        notes.append(f"{role}: read as UTF-16 text (Excel's \"Unicode text\" export)")
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{role} file {path} is not UTF-8 text: save it as UTF-8 CSV or TSV.") from None


def _is_number(field: str) -> bool:
    try:
        return np.isfinite(float(field))
    except ValueError:
        return False


def _squeeze(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


def _columns(names: list[str], role: str, path: Path, notes: list[str]) -> dict[str, int]:
    """Where each of user_id, item_id, rating is in the header: by its own name, else by an alias."""
    where, renamed = {}, []
    for column in REQUIRED_COLUMNS:
        exact = [i for i, name in enumerate(names) if name == column]
        candidates = exact or [i for i, name in enumerate(names)
                               if _squeeze(name) in (_squeeze(column), *ALIASES[column])]
        if len(candidates) > 1:
            raise InputError(f"{role} file {path}: the columns {', '.join(names[i] for i in candidates)} "
                             f"could each be {column}: rename the one you mean to {column}.")
        if candidates:
            where[column] = candidates[0]
            if names[candidates[0]] != column:
                renamed.append(f"{names[candidates[0]]} as {column}")
    missing = [column for column in REQUIRED_COLUMNS if column not in where]
    if missing:
        raise InputError(f"{role} file {path} has no column {', '.join(missing)} (its header "
                         f"has {', '.join(names)}): name the columns user_id, item_id, rating.")
    if renamed:
        notes.append(f"{role}: read the column {', '.join(renamed)}")
    return where


def read_ratings(path: str | Path, role: str, notes: list[str] | None = None) -> pd.DataFrame:
    """Read one ratings file into ``user_id``, ``item_id`` (strings as written) and ``rating``
    (and ``timestamp`` when the file has a numeric one).

    The file is read and decoded once; the separator is sniffed from its first line and every line
    is split from that text. ``role`` ("TRAIN" or "TEST") names the file in messages, which give
    the line of the first bad row. What was done to accept an untidy file is appended to
    ``notes``. Raises ``InputError``.
    """
    notes = [] if notes is None else notes
    path = Path(path)
    if not path.exists():
        raise InputError(f"{role} file {path} does not exist: check the path.")
    if not path.is_file():
        raise InputError(f"{role} path {path} is not a file: give a tab- or comma-separated file.")
    text = _decode(path, role, notes)
    first_line = re.match(r"[^\r\n]*", text).group()
    if not first_line.strip():
        raise InputError(f"{role} file {path} is empty: it needs a header line naming "
                         "user_id, item_id, rating and one line per rating.")
    separator = next((mark for mark, _ in SEPARATORS if mark in first_line), None)
    if separator is None:
        raise InputError(f"{role} file {path}: the first line {first_line.strip()!r} is neither tab- "
                         "nor comma-separated: write it as user_id,item_id,rating (or with tabs).")
    if separator != "\t" and separator != ",":
        notes.append(f"{role}: the separator is {dict(SEPARATORS)[separator]}")
    if separator == "::":  # csv reads one-character separators: '::' becomes a character no text has
        text, separator = text.replace("::", "\x1f"), "\x1f"
    names, rows, lines = _split_lines(text, separator, f"{role} file {path}")
    if all(_is_number(name) for name in names):  # the first line is data: no header
        if len(names) not in (3, 4):
            raise InputError(f"{role} file {path}: the first line {first_line.strip()!r} holds "
                             f"{len(names)} numbers and no column names: add a header line naming "
                             "user_id, item_id, rating.")
        rows, lines = [names, *rows], [1, *lines]
        names = list(HEADERLESS_COLUMNS[:len(names)])
        notes.append(f"{role}: no header line, read the columns as {', '.join(names)} "
                     "(MovieLens u.data's order; add a header if yours differ)")
    if len(set(names)) < len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise InputError(f"{role} file {path}: the header names {', '.join(twice)} more than once: "
                         "give every column its own name.")
    where = _columns(names, role, path, notes)
    if not rows:
        raise InputError(f"{role} file {path} has a header but no ratings: add one line per rating.")
    table = pd.DataFrame({column: [fields[where[column]].strip() for fields in rows]
                          for column in REQUIRED_COLUMNS})
    for column in ("user_id", "item_id"):
        empty = np.flatnonzero((table[column] == "").to_numpy())
        if empty.size:
            raise InputError(f"{role} file {path}, line {lines[empty[0]]}: {column} is empty: "
                             "every rating needs a user_id and an item_id.")
    table["rating"] = _ratings(table["rating"], separator, role, path, lines, notes)
    if "timestamp" in names:
        stamps = pd.to_numeric(pd.Series([fields[names.index("timestamp")].strip() for fields in rows]),
                               errors="coerce")
        if stamps.notna().all():
            table["timestamp"] = stamps.to_numpy()
    return _latest_of_repeats(table, role, notes)


def _ratings(values: pd.Series, separator: str, role: str, path: Path, lines: list[int],
             notes: list[str]) -> np.ndarray:
    if separator == ";" and values.str.contains(",", regex=False).any():
        values = values.str.replace(",", ".", regex=False)
        notes.append(f"{role}: read decimal commas in the ratings as points (3,5 as 3.5)")
    rating = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = np.flatnonzero(~np.isfinite(rating.to_numpy()))
    if bad.size:
        raise InputError(f"{role} file {path}, line {lines[bad[0]]}: rating "
                         f"{values.iloc[bad[0]]!r} is not a number: ratings must be "
                         "numbers such as 4 or 3.5.")
    return rating.to_numpy()


def _latest_of_repeats(table: pd.DataFrame, role: str, notes: list[str]) -> pd.DataFrame:
    """One rating per (user, item): the latest by timestamp if there is one, else the last line."""
    repeated = table.duplicated(["user_id", "item_id"], keep=False)
    if not repeated.any():
        return table
    order = table.sort_values("timestamp", kind="stable") if "timestamp" in table else table
    latest = order.drop_duplicates(["user_id", "item_id"], keep="last").sort_index()
    by = "the latest timestamp" if "timestamp" in table else "the last line"
    notes.append(f"{role}: {int(repeated.sum()) - (len(table) - len(latest)):,} (user_id, item_id) "
                 f"pairs are rated more than once ({len(table) - len(latest):,} extra lines): kept "
                 f"the rating with {by} of each")
    return latest.reset_index(drop=True)


def _split_lines(text: str, separator: str, where: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The first line's fields (stripped, lower case), the other rows, and each row's line number.

    Blank lines are skipped; a row with more or fewer fields than the first raises ``InputError``.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows, lines = [], []
    try:
        header = next(reader)
        for fields in reader:
            if not fields:
                continue
            if len(fields) != len(header):
                raise InputError(f"{where}, line {reader.line_num}: {len(fields)} fields but the "
                                 f"header has {len(header)}: every line needs one field per column.")
            rows.append(fields)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise InputError(f"{where}, line {reader.line_num} cannot be parsed ({error}): every line "
                         "needs as many fields as the header.") from None
    return [name.strip().lower() for name in header], rows, lines


def id_order(ids: pd.Series) -> np.ndarray:
    """Sorted distinct ids: numerically when every id is a plain integer, else as text."""
    distinct = pd.unique(ids.to_numpy(dtype=object))
    as_int = pd.to_numeric(pd.Series(distinct), errors="coerce")
    plain = as_int.notna().all() and all(str(int(n)) == str(s) for n, s in zip(as_int, distinct))
    order = np.argsort(as_int.to_numpy() if plain else distinct.astype(str), kind="stable")
    return distinct[order]


def encode_pair(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, IdEncoding]:
    """Number users and items over TRAIN ∪ TEST; add ``user_index``/``item_index`` to copies."""
    both = pd.concat([train, test], ignore_index=True)
    encoding = IdEncoding(user_ids=id_order(both["user_id"]), item_ids=id_order(both["item_id"]))
    encoded = []
    for part in (train, test):
        part = part.copy()
        part["user_index"] = encoding.user_index(part["user_id"].to_numpy(dtype=object)).astype("int32")
        part["item_index"] = encoding.item_index(part["item_id"].to_numpy(dtype=object)).astype("int32")
        encoded.append(part)
    return encoded[0], encoded[1], encoding


def check_pair(train: pd.DataFrame, test: pd.DataFrame, train_name: str, test_name: str,
               notes: list[str] | None = None) -> pd.DataFrame:
    """The checks that need both files; returns TEST without the pairs TRAIN already rates.

    TEST must share at least one user with TRAIN, and keep at least one row once the pairs TRAIN
    rates are dropped (a note says how many were)."""
    notes = [] if notes is None else notes
    if not test["user_id"].isin(set(train["user_id"])).any():
        raise InputError(f"TEST file {test_name} shares no user_id with TRAIN file {train_name}: "
                         "split one ratings file so that test users also have train ratings.")
    in_train = pd.MultiIndex.from_frame(test[["user_id", "item_id"]]).isin(
        pd.MultiIndex.from_frame(train[["user_id", "item_id"]]))
    if in_train.all():
        raise InputError(f"every (user_id, item_id) pair of TEST file {test_name} is rated in TRAIN "
                         f"file {train_name} too (the same file twice?): give TEST ratings TRAIN "
                         "does not have.")
    if in_train.any():
        notes.append(f"TEST: dropped {int(in_train.sum()):,} rows whose (user_id, item_id) pair TRAIN "
                     "also rates (a model would be scored on a rating it was trained on)")
        test = test[~in_train].reset_index(drop=True)
    return test
