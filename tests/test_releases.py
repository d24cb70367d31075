"""helpers.releases: each release's file format, the cache, a zip placed by hand, every broken
download (against a local server), the command line, and the table of real releases."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import releases
from helpers.data import DataSourceError
from helpers.releases import RELEASES, load_movielens

ROOT = Path(__file__).resolve().parent.parent

# The same five ratings in every release: whole stars, and a half star as from 10M on.
ROWS = [(1, 1193, 5.0, 978300760), (1, 661, 3.0, 978302109), (2, 1357, 5.0, 978298709),
        (2, 3068, 4.0, 978299000), (10, 122, 3.5, 838985046)]
EXPECTED = pd.DataFrame(ROWS, columns=["user_id", "item_id", "rating", "timestamp"]).astype(
    {"user_id": "int64", "item_id": "int64", "rating": "float32", "timestamp": "int64"})


def ratings_text(fmt: str) -> str:
    if fmt == "dat":
        return "".join(f"{u}::{i}::{r:g}::{t}\n" for u, i, r, t in ROWS)
    return "userId,movieId,rating,timestamp\n" + "".join(f"{u},{i},{r:g},{t}\n" for u, i, r, t in ROWS)


def make_zip(key: str, ratings: str | None = None, member: str | None = None) -> bytes:
    """A small zip in the release's own layout: its folder, its ratings file, a movies file."""
    release = RELEASES[key]
    folder = release.member.split("/")[0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        text = ratings_text(release.format) if ratings is None else ratings
        archive.writestr(member or release.member, text.encode("latin-1"))
        if release.format == "dat":  # Latin-1 titles, as in the real movies.dat
            archive.writestr(f"{folder}/movies.dat",
                             "1193::Misérables, Les (1995)::Drama\n".encode("latin-1"))
        else:
            archive.writestr(f"{folder}/movies.csv", "movieId,title,genres\n1193,Amélie (2001),Comedy\n")
    return buffer.getvalue()


def tiny(key: str, content: bytes, n_ratings: int = len(ROWS)) -> releases.Release:
    """The release's table entry, but for a small zip: its own MD5, size and number of ratings."""
    return dataclasses.replace(RELEASES[key], md5=hashlib.md5(content).hexdigest(),
                               size=len(content), n_ratings=n_ratings)


@pytest.fixture
def server():
    """A local HTTP server: ``serve(path, body, status=200, truncate=False)`` -> URL;
    ``requests`` lists every path asked for."""
    routes: dict[str, tuple[int, bytes, bool]] = {}
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            status, body, truncate = routes.get(self.path, (404, b"not found", False))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if truncate else body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    class Server:
        def serve(self, path: str, body: bytes, status: int = 200, truncate: bool = False) -> str:
            routes[path] = (status, body, truncate)
            return f"http://127.0.0.1:{httpd.server_port}{path}"

    Server.requests = requests
    yield Server()
    httpd.shutdown()
    httpd.server_close()


def closed_port_url(name: str = "ml-1m.zip") -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{name}"


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def cache_files(key: str) -> list[str]:
    folder = RELEASES[key].folder
    return [f"{folder}/{name}" for name in
            ["item_id.npy", "rating.npy", "ratings.json", "timestamp.npy", "user_id.npy"]]


# ---------------------------------------------------------------- each format, and the cache


@pytest.mark.parametrize("key", list(RELEASES))
def test_each_release_format_parses_and_fills_the_cache(server, tmp_path, key):
    content = make_zip(key)
    url = server.serve(f"/{RELEASES[key].zip_name}", content)
    ratings = load_movielens(key, tmp_path, url=url, expected=tiny(key, content))
    pd.testing.assert_frame_equal(ratings, EXPECTED)
    assert files_in(tmp_path) == cache_files(key)  # the download itself is gone
    assert server.requests == [f"/{RELEASES[key].zip_name}"]
    # the second load reads the cache: no request at all
    again = load_movielens(key, tmp_path, url=url, expected=tiny(key, content))
    pd.testing.assert_frame_equal(again, EXPECTED)
    assert len(server.requests) == 1


def test_the_cache_is_memory_mapped_copy_on_write(server, tmp_path):
    content = make_zip("10m")
    expected = tiny("10m", content)
    load_movielens("10m", tmp_path, url=server.serve("/ml-10m.zip", content), expected=expected)
    ratings = load_movielens("10m", tmp_path, expected=expected)
    ratings.loc[0, "rating"] = 1.0  # the frame can be changed...
    ratings["user_id"] += 100
    again = load_movielens("10m", tmp_path, expected=expected)
    pd.testing.assert_frame_equal(again, EXPECTED)  # ...and the cache is not
    meta = json.loads((tmp_path / "ml-10m" / "ratings.json").read_text())
    assert meta["n_ratings"] == 5 and meta["zip_md5"] == expected.md5


def test_a_latin1_dat_file_with_windows_line_ends_parses(server, tmp_path):
    text = ratings_text("dat").replace("\n", "\r\n")
    content = make_zip("1m", ratings=text)
    ratings = load_movielens("1m", tmp_path, url=server.serve("/ml-1m.zip", content),
                             expected=tiny("1m", content))
    pd.testing.assert_frame_equal(ratings, EXPECTED)


def test_a_zip_placed_in_the_data_folder_is_used(server, tmp_path):
    content = make_zip("20m")
    (tmp_path / "ml-20m.zip").write_bytes(content)
    url = server.serve("/ml-20m.zip", b"never asked for")
    ratings = load_movielens("20m", tmp_path, url=url, expected=tiny("20m", content))
    pd.testing.assert_frame_equal(ratings, EXPECTED)
    assert server.requests == []
    assert files_in(tmp_path) == sorted([*cache_files("20m"), "ml-20m.zip"])  # the zip is kept


def test_a_placed_zip_that_fails_its_checksum_is_not_used(server, tmp_path):
    content = make_zip("25m")
    (tmp_path / "ml-25m.zip").write_bytes(content[:-10])  # cut short
    url = server.serve("/ml-25m.zip", content)
    ratings = load_movielens("25m", tmp_path, url=url, expected=tiny("25m", content))
    pd.testing.assert_frame_equal(ratings, EXPECTED)  # downloaded instead
    assert server.requests == ["/ml-25m.zip"]
    assert (tmp_path / "ml-25m.zip").read_bytes() == content[:-10]  # the user's file is left alone


def test_a_broken_or_foreign_cache_is_rebuilt(server, tmp_path):
    content = make_zip("32m")
    expected = tiny("32m", content)
    url = server.serve("/ml-32m.zip", content)
    load_movielens("32m", tmp_path, url=url, expected=expected)
    np.save(tmp_path / "ml-32m" / "rating.npy", np.ones(3, dtype="float32"))  # a column cut short
    pd.testing.assert_frame_equal(load_movielens("32m", tmp_path, url=url, expected=expected), EXPECTED)
    assert len(server.requests) == 2
    # a cache of another zip (here: the same rows under another MD5) is not trusted either
    other = dataclasses.replace(expected, md5="0" * 32)
    with pytest.raises(DataSourceError, match=r"cache: .* not the 5 of MovieLens 32M"):
        load_movielens("32m", tmp_path, url=closed_port_url(), expected=other)


def test_the_data_folder_follows_the_environment(server, tmp_path, monkeypatch):
    content = make_zip("1m")
    monkeypatch.setenv("MF_SERIES_DATA_DIR", str(tmp_path))
    load_movielens("1m", url=server.serve("/ml-1m.zip", content), expected=tiny("1m", content))
    assert files_in(tmp_path) == cache_files("1m")


# ---------------------------------------------------------------- every failure: one line, no files


FAILURES = {
    "wrong checksum": ("MD5", lambda s, c: (s.serve("/ml-1m.zip", c.replace(b"ml-1m", b"ml-2m")), {})),
    "truncated body": ("truncated or altered",
                       lambda s, c: (s.serve("/ml-1m.zip", c, truncate=True), {})),
    "HTTP 404": ("answered HTTP 404", lambda s, c: (s.serve("/ml-1m.zip", b"gone", status=404), {})),
    "unreachable host": ("could not be reached", lambda s, c: (closed_port_url(), {})),
    "wrong row count": ("holds 5 ratings; MovieLens 1M has 6",
                        lambda s, c: (s.serve("/ml-1m.zip", c), {"n_ratings": 6})),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failed_download_is_one_clear_error_and_leaves_nothing(server, tmp_path, case):
    content = make_zip("1m")
    reason, setup = FAILURES[case]
    url, changes = setup(server, content)
    expected = dataclasses.replace(tiny("1m", content), **changes)
    with pytest.raises(DataSourceError) as raised:
        load_movielens("1m", tmp_path, url=url, expected=expected)
    message = str(raised.value)
    assert "\n" not in message and reason in message
    assert message.startswith("MovieLens 1M could not be loaded. Tried: cache: no ")
    assert "To fix: run once on a machine that is online, or put ml-1m.zip" in message
    assert files_in(tmp_path) == []  # no .part file, no partial cache


@pytest.mark.parametrize("case, ratings, member, reason", [
    ("missing member", None, "ml-1m/ratings.csv", "has no ml-1m/ratings.dat"),
    ("not the format", "1,1193,5,978300760\n", None, "is not in the MovieLens 1M format"),
    ("a rating without timestamp", "1::1193::5\n", None, "is not in the MovieLens 1M format"),
    ("an empty rating", ratings_text("dat").replace("::5::", "::::"), None, "missing or outside"),
    ("ten stars", ratings_text("dat").replace("::5::", "::10::"), None, "missing or outside"),
])
def test_a_checked_zip_that_does_not_hold_the_ratings_is_one_clear_error(
        server, tmp_path, case, ratings, member, reason):
    content = make_zip("1m", ratings=ratings, member=member)
    with pytest.raises(DataSourceError, match=re.escape(reason)) as raised:
        load_movielens("1m", tmp_path, url=server.serve("/ml-1m.zip", content),
                       expected=tiny("1m", content))
    assert "\n" not in str(raised.value)
    assert files_in(tmp_path) == []


def test_a_csv_without_its_header_is_refused(server, tmp_path):
    content = make_zip("20m", ratings=ratings_text("csv").split("\n", 1)[1])
    with pytest.raises(DataSourceError, match="not the header userId,movieId,rating,timestamp"):
        load_movielens("20m", tmp_path, url=server.serve("/ml-20m.zip", content),
                       expected=tiny("20m", content))
    assert files_in(tmp_path) == []


def test_a_cache_that_cannot_be_written_leaves_no_part_of_it(server, tmp_path, monkeypatch):
    content = make_zip("10m")
    calls = []

    def failing_save(file, values, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the third column: the disk is full
            raise OSError(28, "No space left on device")
        return np.lib.format.write_array(file, values, allow_pickle=False)

    monkeypatch.setattr(releases.np, "save", failing_save)
    with pytest.raises(DataSourceError, match="cache could not be written .* No space left"):
        load_movielens("10m", tmp_path, url=server.serve("/ml-10m.zip", content),
                       expected=tiny("10m", content))
    assert files_in(tmp_path) == [] and not (tmp_path / "ml-10m").exists()


def test_a_release_without_a_checksum_is_refused(server, tmp_path):
    content = make_zip("1m")
    (tmp_path / "ml-1m.zip").write_bytes(content)
    unverified = dataclasses.replace(tiny("1m", content), md5=None)
    with pytest.raises(DataSourceError, match="no published checksum for ml-1m.zip") as raised:
        load_movielens("1m", tmp_path, url=server.serve("/ml-1m.zip", content), expected=unverified)
    assert "\n" not in str(raised.value) and server.requests == []
    assert files_in(tmp_path) == ["ml-1m.zip"]


@pytest.mark.parametrize("name", ["7m", "100k", "ml-latest"])
def test_an_unknown_release_is_a_clear_value_error(name, tmp_path):
    with pytest.raises(ValueError, match=r"unknown MovieLens release .*choose from 1m, 10m, 20m, 25m, 32m"):
        load_movielens(name, tmp_path)


def test_release_names_are_forgiving():
    assert releases.release_info("ml-10M") is RELEASES["10m"]
    assert releases.release_info(" 32M ") is RELEASES["32m"]


# ---------------------------------------------------------------- the command line


def run_cli(*args: str, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "MF_SERIES_DATA_DIR": str(data_dir)}
    return subprocess.Popen([sys.executable, "-m", "helpers.releases", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_command_line_prints_one_line_and_errors_in_one_line(tmp_path):
    # a cache of the full size of 1M, so that the real table's entry is what is checked
    n = RELEASES["1m"].n_ratings
    full = pd.DataFrame({"user_id": np.arange(n) % 6_040 + 1, "item_id": np.arange(n) % 3_706 + 1,
                         "rating": np.full(n, 4, dtype="float32"), "timestamp": np.arange(n)})
    releases._write_cache(tmp_path / "cached" / "ml-1m", full, RELEASES["1m"])
    runs = {  # started together: each is mostly Python starting up
        "cached": run_cli("1m", data_dir=tmp_path / "cached"),
        "offline": run_cli("10m", "--url", closed_port_url("ml-10m.zip"), data_dir=tmp_path / "empty"),
        "unknown": run_cli("7m", data_dir=tmp_path / "empty"),
    }
    results = {name: (run.wait(timeout=60), *run.communicate()) for name, run in runs.items()}
    code, out, err = results["cached"]
    assert (code, err) == (0, "")
    assert out == (f"MovieLens 1M: 1,000,209 ratings by 6,040 users of 3,706 movies, cached in "
                   f"{tmp_path / 'cached' / 'ml-1m'}\n")
    for name in ("offline", "unknown"):
        code, out, err = results[name]
        assert code == 1 and out == "" and "Traceback" not in err
        assert err.count("\n") == 1 and err.startswith("error: ")
    assert "MovieLens 10M could not be loaded" in results["offline"][2]
    assert "could not be reached" in results["offline"][2]
    assert "unknown MovieLens release '7m'" in results["unknown"][2]
    assert files_in(tmp_path / "empty") == []  # the failed download left nothing


# ---------------------------------------------------------------- the real table


DOCUMENTED_RATINGS = {"1m": 1_000_209, "10m": 10_000_054, "20m": 20_000_263, "25m": 25_000_095,
                      "32m": 32_000_204}  # the releases' READMEs


def test_the_real_table_is_well_formed():
    assert list(RELEASES) == ["1m", "10m", "20m", "25m", "32m"]
    for key, release in RELEASES.items():
        assert release.url == f"https://files.grouplens.org/datasets/movielens/ml-{key}.zip"
        assert re.fullmatch(r"[0-9a-f]{32}", release.md5), key
        assert release.size and 5_000_000 < release.size < 300_000_000, key
        assert release.n_ratings == DOCUMENTED_RATINGS[key]
        assert release.name == f"MovieLens {key.upper()}"
        assert release.folder == f"ml-{key}" and release.zip_name == f"ml-{key}.zip"
        assert release.checksum_source and release.zip_name in release.checksum_source
        assert release.format == ("dat" if key in ("1m", "10m") else "csv")
        assert release.member.endswith(f"/ratings.{release.format}")
    assert RELEASES["10m"].member == "ml-10M100K/ratings.dat"  # the 10M zip's own folder name
    assert [r.member.split("/")[0] for k, r in RELEASES.items() if k != "10m"] == [
        "ml-1m", "ml-20m", "ml-25m", "ml-32m"]
    assert len({r.md5 for r in RELEASES.values()}) == len(RELEASES)
