"""MovieLens 1M, 10M, 20M, 25M and 32M: the larger releases, loaded and cached (notebook 09).

``load_movielens(release)`` returns one release's ratings, with the same columns and dtypes as
the ratings of ``helpers.data.load_movielens_100k``:
    ``user_id`` int64, ``item_id`` int64, ``rating`` float32 (1..5 stars; 0.5..5 in half stars
    from 10M on), ``timestamp`` int64 (seconds since 1970-01-01 UTC). Original MovieLens ids.

``RELEASES`` holds what the loader knows of each release: the official zip on files.grouplens.org,
its published MD5 and size, the ratings file inside it and its format, and the number of ratings
the release's README documents.

Sources, tried in this order (the first that works wins, and fills the cache):

1. the cache ``data/ml-<release>/``: one NumPy ``.npy`` file per column and ``ratings.json``
   (what the cache holds and which zip it came from), written by an earlier load. The columns are
   memory-mapped copy-on-write: 32M ratings open at once, pages are read as they are used, and
   changing the frame never changes the cache;
2. the zip placed by hand at ``data/ml-<release>.zip`` (e.g. from a machine that is online),
   checked against its published size and MD5 before anything is read from it;
3. the download from files.grouplens.org, streamed to a temporary file in ``data/`` (32M's zip is
   ~240 MB: it is never held in memory) and checked while it streams; it is deleted once the cache
   is written.

The ratings are parsed by pandas' C parser straight from the zip, with no Python object per
row, and their number is checked against the README before the cache is written. Every file is
written to a temporary name and renamed into place only when complete; ``ratings.json`` is written
last and marks the cache complete. A failed load leaves nothing behind: no partial download, no
cache without its ``ratings.json``.

From the command line, ``python -m helpers.releases 1m`` loads a release (downloading it once)
and prints one line: its ratings, users, movies and where it is cached.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data import DATA_DIR, DataSourceError, _atomic_write_bytes

RATING_COLUMNS = ["user_id", "item_id", "rating", "timestamp"]
RATING_DTYPES = {"user_id": "int64", "item_id": "int64", "rating": "float32", "timestamp": "int64"}
CSV_HEADER = "userId,movieId,rating,timestamp"
"""The first line of ``ratings.csv`` in 20M, 25M and 32M (the 1M and 10M ``.dat`` files have none)."""


@dataclass(frozen=True)
class Release:
    """One MovieLens release as the loader knows it (see ``RELEASES``)."""

    name: str  # "MovieLens 1M"
    url: str  # the official zip on files.grouplens.org
    md5: str | None  # the zip's published MD5; None: unverified, the loader refuses the zip
    size: int | None  # the zip's size in bytes, or None when unknown
    member: str  # the ratings file inside the zip
    format: str  # "dat": user::movie::rating::timestamp, Latin-1, no header; "csv": CSV_HEADER first
    n_ratings: int  # the number of ratings the release's README documents
    checksum_source: str  # where md5 and size were read

    @property
    def zip_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        """The cache folder's name in the data folder: ``ml-1m`` for ``ml-1m.zip``."""
        return self.zip_name.removesuffix(".zip")


_GROUPLENS = "https://files.grouplens.org/datasets/movielens"
_MD5_SOURCE = ("GroupLens' {zip}.md5 beside the zip; the same MD5 and size in the DVC record of the "
               "downloaded zip, {dvc}")

# The MD5s are the ones GroupLens publishes in <zip>.md5 beside each zip; the same values, and the
# sizes, are recorded by LensKit's DVC files of the downloaded zips (the repositories and paths
# are in checksum_source). TensorFlow Datasets' tensorflow_datasets/url_checksums/movielens.txt
# gives the same sizes for 1M, 20M and 25M, with their SHA-256. The row counts are the ones each
# release's README states ("It contains 32000204 ratings ..."; 1M: "1,000,209 anonymous ratings").
RELEASES: dict[str, Release] = {
    "1m": Release(
        name="MovieLens 1M", url=f"{_GROUPLENS}/ml-1m.zip",
        md5="c4d9eecfca2ab87c1945afe126590906", size=5_917_549,
        member="ml-1m/ratings.dat", format="dat", n_ratings=1_000_209,
        checksum_source=_MD5_SOURCE.format(
            zip="ml-1m.zip", dvc="lenskit/lk-demo-experiment data/ml-1m.zip.dvc")),
    "10m": Release(
        name="MovieLens 10M", url=f"{_GROUPLENS}/ml-10m.zip",
        md5="ce571fd55effeba0271552578f2648bd", size=65_566_137,
        member="ml-10M100K/ratings.dat", format="dat", n_ratings=10_000_054,
        checksum_source=_MD5_SOURCE.format(
            zip="ml-10m.zip", dvc="mdekstrand/recsys26-repro1 data/ml-10m.zip.dvc")),
    "20m": Release(
        name="MovieLens 20M", url=f"{_GROUPLENS}/ml-20m.zip",
        md5="cd245b17a1ae2cc31bb14903e1204af3", size=198_702_078,
        member="ml-20m/ratings.csv", format="csv", n_ratings=20_000_263,
        checksum_source=_MD5_SOURCE.format(
            zip="ml-20m.zip", dvc="lenskit/lenskit-codex movielens/ML20M/ml-20m.zip.dvc")),
    "25m": Release(
        name="MovieLens 25M", url=f"{_GROUPLENS}/ml-25m.zip",
        md5="6b51fb2759a8657d3bfcbfc42b592ada", size=261_978_986,
        member="ml-25m/ratings.csv", format="csv", n_ratings=25_000_095,
        checksum_source=_MD5_SOURCE.format(
            zip="ml-25m.zip", dvc="lenskit/lenskit-codex movielens/ML25M/ml-25m.zip.dvc")),
    "32m": Release(
        name="MovieLens 32M", url=f"{_GROUPLENS}/ml-32m.zip",
        md5="d472be332d4daa821edc399621853b57", size=238_950_008,
        member="ml-32m/ratings.csv", format="csv", n_ratings=32_000_204,
        checksum_source=_MD5_SOURCE.format(
            zip="ml-32m.zip", dvc="lenskit/lenskit-codex movielens/ML32M/ml-32m.zip.dvc")),
}

_CHUNK = 1 << 20  # bytes read at a time while downloading and checksumming


# --------------------------------------------------------------------------------------------
# Which release, and where
# --------------------------------------------------------------------------------------------


def release_info(release: str) -> Release:
    """The ``RELEASES`` entry of ``"1m"``, ``"10M"`` or ``"ml-10m"``; a clear ValueError otherwise."""
    key = str(release).strip().lower().removeprefix("ml-")
    if key not in RELEASES:
        hint = " (MovieLens 100k is helpers.data.load_movielens_100k)" if key == "100k" else ""
        raise ValueError(f"unknown MovieLens release {release!r}: choose from "
                         f"{', '.join(RELEASES)}{hint}")
    return RELEASES[key]


def data_folder(cache_dir: str | Path | None = None) -> Path:
    """The data folder: ``cache_dir``, else ``MF_SERIES_DATA_DIR``, else ``helpers.data.DATA_DIR``."""
    return Path(cache_dir or os.environ.get("MF_SERIES_DATA_DIR", DATA_DIR))


# --------------------------------------------------------------------------------------------
# The cache: one .npy per column, ratings.json written last
# --------------------------------------------------------------------------------------------


def _column_path(folder: Path, column: str) -> Path:
    return folder / f"{column}.npy"


def _atomic_write_array(path: Path, values: np.ndarray) -> None:
    """Save ``values`` as ``.npy`` through a temporary file in the same folder, then rename.

    Like ``helpers.data._atomic_write_bytes``, but streams the array to disk instead of building
    its bytes in memory (a column of 32M ratings is 256 MB)."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            np.save(tmp, np.ascontiguousarray(values), allow_pickle=False)
        os.chmod(tmp_name, 0o644)  # mkstemp makes files private; the cache is ordinary data
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _write_cache(folder: Path, ratings: pd.DataFrame, release: Release) -> None:
    """Write the four columns, then ``ratings.json``; on any error remove what this call wrote."""
    marker = folder / "ratings.json"
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)  # an older cache is incomplete from the first column on
    written = []
    try:
        for column in RATING_COLUMNS:
            _atomic_write_array(_column_path(folder, column), ratings[column].to_numpy())
            written.append(_column_path(folder, column))
        meta = {"release": release.name, "n_ratings": len(ratings), "zip_md5": release.md5,
                "columns": RATING_DTYPES}
        _atomic_write_bytes(marker, (json.dumps(meta, indent=1) + "\n").encode())
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise


def _read_cache(folder: Path, release: Release) -> pd.DataFrame:
    marker = folder / "ratings.json"
    if not marker.exists():
        raise DataSourceError(f"no {marker}")
    meta = json.loads(marker.read_text())
    if (meta.get("n_ratings"), meta.get("zip_md5")) != (release.n_ratings, release.md5):
        raise DataSourceError(
            f"{folder} holds {meta.get('n_ratings')} ratings from a zip with MD5 "
            f"{meta.get('zip_md5')}, not the {release.n_ratings:,} of {release.name}")
    columns = {}
    for column, dtype in RATING_DTYPES.items():
        # copy-on-write: pages are read as they are used, and writes never reach the file
        values = np.load(_column_path(folder, column), mmap_mode="c", allow_pickle=False)
        if values.shape != (release.n_ratings,) or values.dtype != dtype:
            raise DataSourceError(f"{_column_path(folder, column)} holds {values.shape} "
                                  f"{values.dtype}, not {release.n_ratings:,} {dtype}")
        columns[column] = values.view(np.ndarray)  # a plain array over the same mapping
    return pd.DataFrame(columns, copy=False)


# --------------------------------------------------------------------------------------------
# The zip: checked, then parsed
# --------------------------------------------------------------------------------------------


def _check_zip(found_size: int, found_md5: str, release: Release, what: str) -> None:
    if found_md5 != release.md5 or (release.size is not None and found_size != release.size):
        size = f"{release.size:,} bytes with " if release.size is not None else ""
        raise DataSourceError(
            f"{what} has {found_size:,} bytes with MD5 {found_md5}, expected {size}MD5 "
            f"{release.md5} (a truncated or altered file)")


def _md5_of_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _download(url: str, folder: Path, release: Release, timeout: float) -> Path:
    """Stream ``url`` to a temporary file in ``folder``, checking its size and MD5 as it arrives.

    Returns the checked file (the caller deletes it); on any error nothing is left behind."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{release.zip_name}.", suffix=".part")
    try:
        digest, size = hashlib.md5(usedforsecurity=False), 0
        try:
            with os.fdopen(fd, "wb") as tmp, urllib.request.urlopen(url, timeout=timeout) as response:
                while chunk := response.read(_CHUNK):
                    tmp.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        except urllib.error.HTTPError as error:
            raise DataSourceError(f"{url} answered HTTP {error.code} ({error.reason})") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            if isinstance(error, http.client.IncompleteRead):
                reason = f"the connection closed after {size + len(error.partial):,} bytes"
            raise DataSourceError(f"{url} could not be reached ({reason})") from None
        _check_zip(size, digest.hexdigest(), release, url)
        return Path(tmp_name)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _parse_ratings(zip_path: Path, release: Release, what: str) -> pd.DataFrame:
    """Read ``release.member`` out of the (checked) zip and check the number of ratings."""
    try:
        with zipfile.ZipFile(zip_path) as archive, archive.open(release.member) as member:
            if release.format == "dat":
                # user::movie::rating::timestamp: with ":" as the separator the C parser sees
                # seven fields, the odd ones empty, and keeps the four it is asked for
                names = ["user_id", "_", "item_id", "__", "rating", "___", "timestamp"]
                ratings = pd.read_csv(member, sep=":", header=None, names=names,
                                      usecols=RATING_COLUMNS, dtype=RATING_DTYPES,
                                      encoding="latin-1", engine="c")
            else:
                header = member.readline().decode("latin-1").strip()
                if header != CSV_HEADER:
                    raise DataSourceError(f"{what}'s {release.member} starts with {header[:60]!r}, "
                                          f"not the header {CSV_HEADER}")
                ratings = pd.read_csv(member, header=None, names=RATING_COLUMNS,
                                      dtype=RATING_DTYPES, engine="c")
    except KeyError:
        raise DataSourceError(f"{what} has no {release.member}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataSourceError(f"{what} is not a usable zip ({error})") from None
    except ValueError as error:  # pandas' ParserError and EmptyDataError are ValueErrors
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        raise DataSourceError(f"{what}'s {release.member} is not in the {release.name} "
                              f"format ({detail})") from None
    if len(ratings) != release.n_ratings:
        raise DataSourceError(f"{what}'s {release.member} holds {len(ratings):,} ratings; "
                              f"{release.name} has {release.n_ratings:,}")
    if not ratings["rating"].between(0.5, 5).all():  # NaN (an empty field) is not between either
        raise DataSourceError(f"{what}'s {release.member} has ratings that are missing or "
                              "outside 0.5..5 stars")
    return ratings[RATING_COLUMNS]


# --------------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------------


def load_movielens(release: str, cache_dir: str | Path | None = None, url: str | None = None,
                   expected: Release | None = None, timeout: float = 30.0) -> pd.DataFrame:
    """Return the ratings of a MovieLens release: ``"1m"``, ``"10m"``, ``"20m"``, ``"25m"``, ``"32m"``.

    The columns are those of ``helpers.data``'s ratings (see the module docstring). Sources: the
    cache, then ``ml-<release>.zip`` placed in the data folder, then the download from ``url``
    (default: the official one). ``expected`` replaces the ``RELEASES`` entry (a test's own zip
    has its own MD5 and number of ratings). When no source works, one ``DataSourceError`` says
    what each source lacked and what to do.
    """
    info = expected or release_info(release)
    data_dir = data_folder(cache_dir)
    folder, placed_zip, url = data_dir / info.folder, data_dir / info.zip_name, url or info.url
    failures = []
    try:
        return _read_cache(folder, info)
    except (DataSourceError, OSError, ValueError, KeyError) as error:
        failures.append(f"cache: {error}")

    if info.md5 is None:
        raise DataSourceError(
            f"{info.name} is not in {folder}, and RELEASES has no published checksum for "
            f"{info.zip_name}, so neither {placed_zip} nor a download from {url} can be verified: "
            "add the MD5 GroupLens publishes beside the zip to helpers.releases.RELEASES")

    def from_placed_zip() -> pd.DataFrame:
        if not placed_zip.exists():
            raise DataSourceError(f"no {placed_zip}")
        _check_zip(*_md5_of_file(placed_zip), info, str(placed_zip))
        return _parse_ratings(placed_zip, info, str(placed_zip))

    def from_download() -> pd.DataFrame:
        downloaded = _download(url, data_dir, info, timeout)
        try:
            return _parse_ratings(downloaded, info, url)
        finally:
            downloaded.unlink(missing_ok=True)

    for name, read in ((f"{placed_zip.name}", from_placed_zip), ("download", from_download)):
        try:
            ratings = read()
        except (DataSourceError, OSError) as error:
            failures.append(f"{name}: {error}")
            continue
        try:
            _write_cache(folder, ratings, info)
        except OSError as error:
            raise DataSourceError(f"{info.name} was read and checked, but its cache could not be "
                                  f"written in {folder}: {error}") from None
        return ratings
    raise DataSourceError(
        f"{info.name} could not be loaded. Tried: " + "; ".join(failures) + ". To fix: run once "
        f"on a machine that is online, or put {info.zip_name} from {info.url} in {data_dir}; "
        f"either is checked against its published MD5 {info.md5}.")


# --------------------------------------------------------------------------------------------
# python -m helpers.releases 1m
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Load a release (downloading it once) and print one line about it; errors: one line, exit 1."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.releases",
        description="Download, check and cache a larger MovieLens release (notebook 09).")
    parser.add_argument("release", help=f"one of {', '.join(RELEASES)}")
    parser.add_argument("--url", help="download from this URL instead of files.grouplens.org "
                                      "(a mirror); the zip is checked all the same")
    args = parser.parse_args(argv)
    try:
        info = release_info(args.release)
        ratings = load_movielens(args.release, url=args.url)
    except (DataSourceError, ValueError, OSError, MemoryError) as error:
        message = str(error).replace("\n", " ") or type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    print(f"{info.name}: {len(ratings):,} ratings by {ratings['user_id'].nunique():,} users of "
          f"{ratings['item_id'].nunique():,} movies, cached in {data_folder() / info.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
