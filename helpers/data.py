"""MovieLens 100k: loading it from wherever it can be had, encoding ids, splitting (notebook 01).

``load_movielens_100k()`` returns two DataFrames:

``ratings``  one row per rating, 100,000 rows
    ``user_id`` int64 (1..943), ``item_id`` int64 (1..1682), ``rating`` float32 (1..5 stars),
    ``timestamp`` int64 (seconds since 1970-01-01 UTC). Original MovieLens ids.
``movies``   one row per movie, 1,682 rows, sorted by ``item_id``
    ``item_id`` int64, ``title`` string (without the year), ``year`` Int64 (nullable: a few
    movies have no release date), ``genres`` string (``"Action|Comedy"``, ``"unknown"`` when none).

``load_movielens_100k_users()`` returns the users' own table (their features: age, gender, occupation), 943 rows:
    ``user_id`` int64, ``age`` int64 (years), ``gender`` string (``"M"``/``"F"``), ``occupation``
    string (one of 21), ``zip_code`` string (kept as text: some are not numbers, many start with 0).

Sources, tried in this order (the first that works wins, and fills the cache):

1. the cache ``data/ml-100k/`` (``ratings.tsv``, ``movies.tsv``; ``users.tsv``), written by an
   earlier load;
2. the official GroupLens zip ``ml-100k.zip`` (``u.data``/``u.item``; ``u.user``), checked against its
   published MD5 before anything is read from it;
3. the copy that the PyPI package ``recbole==1.2.1`` ships (RecBole's "atomic" files), located
   through its installed metadata; RecBole itself is never imported.

Every file the loader writes goes to a temporary name first and is renamed into place only when
complete, so an interrupted download or parse never leaves a half-written cache behind.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import SEED

N_RATINGS, N_USERS, N_ITEMS = 100_000, 943, 1_682

GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"  # published checksum of ml-100k.zip
RECBOLE_VERSION = "1.2.1"
RECBOLE_DIR = "recbole/dataset_example/ml-100k"

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
"""The series' cache folder (git-ignored). ``MF_SERIES_DATA_DIR`` in the environment overrides it."""

GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
"""The 19 genre flags of ``u.item``, in file order."""

RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
MOVIE_COLUMNS = ["item_id", "title", "year", "genres"]
USER_COLUMNS = ["user_id", "age", "gender", "occupation", "zip_code"]


class DataSourceError(RuntimeError):
    """No source could provide MovieLens 100k, or a source was broken; the message says why."""


# --------------------------------------------------------------------------------------------
# Normalising: both source formats end in the same two frames
# --------------------------------------------------------------------------------------------


def _normalise_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    ratings = ratings[RATING_COLUMNS].astype(
        {"user_id": "int64", "item_id": "int64", "rating": "float32", "timestamp": "int64"}
    )
    return ratings.reset_index(drop=True)


def _normalise_movies(movies: pd.DataFrame) -> pd.DataFrame:
    movies = movies[MOVIE_COLUMNS].astype(
        {"item_id": "int64", "title": "string", "year": "Int64", "genres": "string"}
    )
    return movies.sort_values("item_id").reset_index(drop=True)


def _normalise_users(users: pd.DataFrame) -> pd.DataFrame:
    users = users[USER_COLUMNS].astype({"user_id": "int64", "age": "int64", "gender": "string",
                                        "occupation": "string", "zip_code": "string"})
    return users.sort_values("user_id").reset_index(drop=True)


def parse_grouplens_users(u_user: str) -> pd.DataFrame:
    """Parse the text of GroupLens' ``u.user`` (``user_id|age|gender|occupation|zip_code``)."""
    return _normalise_users(pd.read_csv(io.StringIO(u_user), sep="|", names=USER_COLUMNS,
                                        dtype={"zip_code": str}, keep_default_na=False))


def parse_recbole_users(user: str) -> pd.DataFrame:
    """Parse the text of RecBole's ``ml-100k.user`` (typed headers, tabs)."""
    users = pd.read_csv(io.StringIO(user), sep="\t", dtype=str, keep_default_na=False)
    users.columns = [name.split(":")[0] for name in users.columns]
    return _normalise_users(users)


def parse_grouplens(u_data: str, u_item: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse the text of GroupLens' ``u.data`` (tab-separated) and ``u.item`` (``|``-separated)."""
    ratings = pd.read_csv(io.StringIO(u_data), sep="\t", names=RATING_COLUMNS)
    item_columns = ["item_id", "raw_title", "release_date", "video_date", "imdb_url", *GENRES]
    raw = pd.read_csv(io.StringIO(u_item), sep="|", names=item_columns, dtype={"raw_title": str})
    release = pd.to_datetime(raw["release_date"], format="%d-%b-%Y", errors="coerce")
    flags = raw[list(GENRES)].to_numpy(dtype=bool)
    movies = pd.DataFrame(
        {
            "item_id": raw["item_id"],
            # "Toy Story (1995)" -> "Toy Story": the year has its own column
            "title": raw["raw_title"].fillna("unknown").str.replace(r"\s*\(\d{4}\)$", "", regex=True),
            "year": release.dt.year,
            "genres": ["|".join(np.array(GENRES)[row]) or "unknown" for row in flags],
        }
    )
    return _normalise_ratings(ratings), _normalise_movies(movies)


def parse_recbole(inter: str, item: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse the text of RecBole's ``ml-100k.inter`` and ``ml-100k.item`` (typed headers, tabs)."""
    ratings = pd.read_csv(io.StringIO(inter), sep="\t")
    ratings.columns = [name.split(":")[0] for name in ratings.columns]
    raw = pd.read_csv(io.StringIO(item), sep="\t", dtype=str, keep_default_na=False)
    raw.columns = [name.split(":")[0] for name in raw.columns]
    movies = pd.DataFrame(
        {
            "item_id": raw["item_id"].astype("int64"),
            # RecBole's copy spells the one title-less movie "unkonwn"; GroupLens says "unknown"
            "title": raw["movie_title"].replace("unkonwn", "unknown"),
            "year": pd.to_numeric(raw["release_year"], errors="coerce"),
            "genres": raw["class"].str.split().str.join("|").replace("", "unknown"),
        }
    )
    return _normalise_ratings(ratings), _normalise_movies(movies)


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def _atomic_write_bytes(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(content)
        os.chmod(tmp_name, 0o644)  # mkstemp makes files private; the cache is ordinary data
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _cache_paths(cache_dir: Path) -> tuple[Path, Path]:
    folder = cache_dir / "ml-100k"
    return folder / "ratings.tsv", folder / "movies.tsv"


def _read_cache(cache_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings_path, movies_path = _cache_paths(cache_dir)
    if not (ratings_path.exists() and movies_path.exists()):
        raise DataSourceError(f"no cache in {ratings_path.parent}")
    ratings = _normalise_ratings(pd.read_csv(ratings_path, sep="\t"))
    movies = _normalise_movies(pd.read_csv(movies_path, sep="\t", keep_default_na=False,
                                           na_values={"year": [""]}))
    return ratings, movies


def _write_cache(cache_dir: Path, ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    ratings_path, movies_path = _cache_paths(cache_dir)
    # movies first, ratings last: _read_cache needs both, so a cut-off write is never read
    _atomic_write_bytes(movies_path, movies.to_csv(sep="\t", index=False).encode())
    _atomic_write_bytes(ratings_path, ratings.to_csv(sep="\t", index=False).encode())


def download_grouplens(url: str = GROUPLENS_URL, md5: str = GROUPLENS_MD5,
                       timeout: float = 10.0) -> bytes:
    """Download ``ml-100k.zip`` and return its bytes, or raise ``DataSourceError`` saying why."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            content = response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DataSourceError(f"could not download {url}: {reason}") from None
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if digest != md5:
        raise DataSourceError(
            f"{url} gave {len(content):,} bytes with MD5 {digest}, expected {md5} "
            "(a truncated or altered download)"
        )
    return content


def read_grouplens_zip(content: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse ``u.data`` and ``u.item`` out of the bytes of ``ml-100k.zip``."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            u_data = archive.read("ml-100k/u.data").decode("latin-1")
            u_item = archive.read("ml-100k/u.item").decode("latin-1")
    except (zipfile.BadZipFile, KeyError) as error:
        raise DataSourceError(f"the MovieLens zip is not usable: {error}") from None
    return parse_grouplens(u_data, u_item)


def read_grouplens_zip_users(content: bytes) -> pd.DataFrame:
    """Parse ``u.user`` out of the bytes of ``ml-100k.zip``."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            u_user = archive.read("ml-100k/u.user").decode("latin-1")
    except (zipfile.BadZipFile, KeyError) as error:
        raise DataSourceError(f"the MovieLens zip is not usable: {error}") from None
    return parse_grouplens_users(u_user)


def recbole_folder() -> Path:
    """Where the installed ``recbole`` wheel keeps its MovieLens 100k files."""
    try:
        distribution = importlib.metadata.distribution("recbole")
    except importlib.metadata.PackageNotFoundError:
        raise DataSourceError("the PyPI package recbole is not installed") from None
    folder = Path(distribution.locate_file(RECBOLE_DIR))
    if not (folder / "ml-100k.inter").exists():
        raise DataSourceError(
            f"recbole {distribution.version} is installed but has no {RECBOLE_DIR}/ml-100k.inter"
        )
    return folder


def read_recbole() -> tuple[pd.DataFrame, pd.DataFrame]:
    folder = recbole_folder()
    inter = (folder / "ml-100k.inter").read_text(encoding="utf-8")
    item = (folder / "ml-100k.item").read_text(encoding="utf-8")
    return parse_recbole(inter, item)


def read_recbole_users() -> pd.DataFrame:
    return parse_recbole_users((recbole_folder() / "ml-100k.user").read_text(encoding="utf-8"))


def _check_shape(ratings: pd.DataFrame, movies: pd.DataFrame, source: str) -> None:
    found = (len(ratings), ratings["user_id"].nunique(), len(movies))
    if found != (N_RATINGS, N_USERS, N_ITEMS):
        raise DataSourceError(
            f"{source} holds {found[0]:,} ratings, {found[1]:,} users and {found[2]:,} movies; "
            f"MovieLens 100k has {N_RATINGS:,}, {N_USERS:,} and {N_ITEMS:,}"
        )


def load_movielens_100k(
    cache_dir: str | Path | None = None,
    url: str | None = GROUPLENS_URL,
    md5: str = GROUPLENS_MD5,
    use_recbole: bool = True,
    timeout: float = 10.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(ratings, movies)`` of MovieLens 100k (see the module docstring for the columns).

    ``url=None`` skips the download. When no source works, one ``DataSourceError`` lists every
    source tried, why each failed, and how to fix it.
    """
    cache_dir = Path(cache_dir or os.environ.get("MF_SERIES_DATA_DIR", DATA_DIR))
    return _first_source(
        "MovieLens 100k", _cache_paths(cache_dir)[0].parent, lambda: _read_cache(cache_dir),
        lambda found, source: _check_shape(*found, source),
        lambda found: _write_cache(cache_dir, *found), read_grouplens_zip, read_recbole,
        url, md5, use_recbole, timeout)


def _first_source(what: str, cache: Path, read_cache, check, write_cache, read_zip, read_wheel,
                  url: str | None, md5: str, use_recbole: bool, timeout: float):
    """The cache, then the GroupLens zip (``read_zip`` of its checked bytes), then the recbole
    wheel (``read_wheel``): the first whose table passes ``check(found, source)`` is returned, and
    ``write_cache(found)`` keeps a source's for next time. When none works, one
    ``DataSourceError`` lists every source tried, why each failed, and how to fix it."""
    failures = []
    try:
        found = read_cache()
        check(found, f"the cache {cache}")
        return found
    except (DataSourceError, OSError, ValueError, KeyError) as error:
        failures.append(f"cache: {error}")
    sources = []
    if url:
        sources.append((f"GroupLens ({url})", lambda: read_zip(download_grouplens(url, md5, timeout))))
    if use_recbole:
        sources.append((f"PyPI package recbole=={RECBOLE_VERSION}", read_wheel))
    for name, read in sources:
        try:
            found = read()
            check(found, name)
        except (DataSourceError, OSError, ValueError, KeyError) as error:
            failures.append(f"{name}: {error}")
            continue
        write_cache(found)
        return found
    raise DataSourceError(
        f"{what} could not be loaded. Tried: " + "; ".join(failures) + ". To fix: run "
        f"`make setup` (it installs recbole=={RECBOLE_VERSION} with --no-deps), or put ml-100k.zip "
        f"from {GROUPLENS_URL} where the loader can download it."
    )


def _check_users(users: pd.DataFrame, source: str) -> None:
    if users["user_id"].tolist() != list(range(1, N_USERS + 1)):
        raise DataSourceError(f"{source} holds {len(users):,} users; MovieLens 100k has users "
                              f"1..{N_USERS:,}, one row each")
    if not (users["age"].between(1, 120).all() and users["gender"].isin(["M", "F"]).all()):
        raise DataSourceError(f"{source} has ages outside 1..120 or genders other than M/F")


def _users_cache(cache_dir: Path) -> Path:
    return cache_dir / "ml-100k" / "users.tsv"


def _read_users_cache(cache_dir: Path) -> pd.DataFrame:
    path = _users_cache(cache_dir)
    if not path.exists():
        raise DataSourceError(f"no {path}")
    return _normalise_users(pd.read_csv(path, sep="\t", dtype={"zip_code": str}, keep_default_na=False))


def load_movielens_100k_users(
    cache_dir: str | Path | None = None,
    url: str | None = GROUPLENS_URL,
    md5: str = GROUPLENS_MD5,
    use_recbole: bool = True,
    timeout: float = 10.0,
) -> pd.DataFrame:
    """Return the users of MovieLens 100k (see the module docstring for the columns), from the
    same sources as ``load_movielens_100k`` and in the same order; the cache is ``users.tsv``
    beside the ratings. When no source works, one ``DataSourceError`` lists every source tried."""
    cache_dir = Path(cache_dir or os.environ.get("MF_SERIES_DATA_DIR", DATA_DIR))
    return _first_source(
        "the MovieLens 100k users", _users_cache(cache_dir), lambda: _read_users_cache(cache_dir),
        _check_users,
        lambda users: _atomic_write_bytes(_users_cache(cache_dir),
                                          users.to_csv(sep="\t", index=False).encode()),
        read_grouplens_zip_users, read_recbole_users, url, md5, use_recbole, timeout)


# --------------------------------------------------------------------------------------------
# Index encoding: Keras' Embedding layers want rows 0..n-1
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdEncoding:
    """The mapping between original ids and the contiguous 0-based indices Keras needs.

    ``user_ids[i]`` is the original id of user index ``i``; likewise ``item_ids``.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def user_index(self, user_ids) -> np.ndarray:
        """Indices of original user ids; a clear ValueError names any id it does not know."""
        return _lookup(self.user_ids, user_ids, "user_id")

    def item_index(self, item_ids) -> np.ndarray:
        """Indices of original item ids; a clear ValueError names any id it does not know."""
        return _lookup(self.item_ids, item_ids, "item_id")


def _lookup(known_ids: np.ndarray, ids, what: str) -> np.ndarray:
    index = pd.Index(known_ids).get_indexer(np.atleast_1d(np.asarray(ids)))
    if (index < 0).any():
        unknown = np.atleast_1d(np.asarray(ids))[index < 0][:5].tolist()
        raise ValueError(f"unknown {what} {unknown}: the encoding knows {len(known_ids):,} ids")
    return index


def encode_ids(ratings: pd.DataFrame, movies: pd.DataFrame | None = None) -> tuple[pd.DataFrame, IdEncoding]:
    """Add ``user_index`` and ``item_index`` columns (0-based, contiguous) to a copy of ``ratings``.

    Users are numbered in order of their sorted ids; items likewise, over every movie in ``movies``
    when given (so a movie nobody rated still has a row) and else over the rated items.
    """
    user_ids = np.sort(ratings["user_id"].unique())
    item_source = movies["item_id"] if movies is not None else ratings["item_id"]
    item_ids = np.sort(item_source.unique())
    encoding = IdEncoding(user_ids=user_ids, item_ids=item_ids)
    encoded = ratings.copy()
    encoded["user_index"] = encoding.user_index(ratings["user_id"]).astype("int32")
    encoded["item_index"] = encoding.item_index(ratings["item_id"]).astype("int32")
    return encoded, encoding


# --------------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------------


def random_split(ratings: pd.DataFrame, test_fraction: float = 0.2,
                 seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out a seeded random ``test_fraction`` of the rows: the series' standard 80/20 split.

    Rows keep their original order within each part. A test row whose user or item has no
    train row stays in the test set (see ``split_report``): models must cope with it, as a
    deployed recommender would.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(ratings), dtype=bool)
    is_test[rng.permutation(len(ratings))[: round(test_fraction * len(ratings))]] = True
    return ratings[~is_test].copy(), ratings[is_test].copy()


def temporal_split(ratings: pd.DataFrame, test_fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each user's latest ``test_fraction`` of ratings (at least one, never all).

    Order within a user: by ``timestamp``, ties broken by ``item_id`` (the higher id counts as
    later), so the split is the same on every run. Rows keep their original order.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    order = ratings.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    position = order.groupby("user_id").cumcount()
    count = order.groupby("user_id")["user_id"].transform("size")
    n_test = np.clip(np.round(test_fraction * count), 1, np.maximum(count - 1, 1))
    is_test = pd.Series(position >= count - n_test, index=order.index).reindex(ratings.index)
    is_test &= count.reindex(ratings.index) > 1  # a user with one rating keeps it for training
    return ratings[~is_test].copy(), ratings[is_test].copy()


def global_temporal_split(ratings: pd.DataFrame,
                          test_fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on every rating before one cut-off time, test on every rating at or after it.

    A model must never learn from the future. ``temporal_split`` holds out each user's latest
    ratings but still trains on other users' ratings from after that user's test period; this
    split trains only on the past, as a deployed recommender does, so it also tests users and
    movies that first appear after the cut-off (see ``split_report``). The cut-off is the
    ``1 - test_fraction`` quantile of the timestamps, rounded up to a rating's own timestamp;
    every rating *at* the cut-off goes to test, so test may hold a few more rows than
    ``test_fraction`` of them. Rows keep their original order.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    if ratings.empty:
        raise ValueError("ratings is empty: there is nothing to split")
    cutoff = np.quantile(ratings["timestamp"], 1 - test_fraction, method="higher")
    is_test = ratings["timestamp"] >= cutoff
    if is_test.all():
        raise ValueError(f"all {len(ratings):,} ratings are at or after the cut-off {cutoff}, "
                         "so none is left to train on: too many share the earliest timestamp")
    return ratings[~is_test].copy(), ratings[is_test].copy()


def split_report(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, int]:
    """Counts that say how well ``test`` is covered by ``train`` (users/items never seen in train)."""
    unseen_user = ~test["user_id"].isin(train["user_id"])
    unseen_item = ~test["item_id"].isin(train["item_id"])
    return {
        "train_rows": len(train),
        "test_rows": len(test),
        "test_rows_unseen_user": int(unseen_user.sum()),
        "test_rows_unseen_item": int(unseen_item.sum()),
        "test_items_unseen": int(test.loc[unseen_item, "item_id"].nunique()),
    }


@dataclass(frozen=True)
class MovieLensSplit:
    """MovieLens 100k, encoded and split: what every notebook after 01 starts from."""

    train: pd.DataFrame
    test: pd.DataFrame
    encoding: IdEncoding
    movies: pd.DataFrame
    ratings: pd.DataFrame  # all ratings, encoded


SPLITS = {"random": random_split, "temporal": temporal_split, "global_temporal": global_temporal_split}


def movielens_split(split: str = "random") -> MovieLensSplit:
    """Load MovieLens 100k, encode its ids over every movie, and split it 80/20.

    ``split`` is ``"random"`` (the series' standard split, seed ``SEED``), ``"temporal"`` (each
    user's latest ratings) or ``"global_temporal"`` (one cut-off time for everyone).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose from {', '.join(SPLITS)}")
    ratings, movies = load_movielens_100k()
    encoded, encoding = encode_ids(ratings, movies)
    train, test = SPLITS[split](encoded)
    return MovieLensSplit(train, test, encoding, movies, encoded)
