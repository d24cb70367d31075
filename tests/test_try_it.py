"""Try it on yourself (helpers.try_it, notebook 06 section 4.5): title search, a learner's ratings
folded into both models, the movie that drove each recommendation, and the ipywidgets panel.

Mostly on a small synthetic catalogue (milliseconds, no Keras); the search also on the real titles.
"""

from __future__ import annotations

import sys

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers.data import IdEncoding
from helpers.recommend import (
    fold_in_ranking_users,
    fold_in_user,
    new_user_ratings,
    recommend_for_new_user,
)
from helpers.try_it import (
    NO_WIDGETS_TEXT,
    PANEL_TEXT,
    FoldInModels,
    NoWidgets,
    TryItPanel,
    drivers,
    parse_ratings,
    popular_movies,
    recommend_from_ratings,
    search_titles,
    try_it_panel,
)
from tools.notebook_tools import NOTEBOOKS
from tools.run_notebooks import WIDGET_VIEW, drop_widget_views

TITLES = ["Star Wars", "Empire Strikes Back, The", "Return of the Jedi", "Star Trek: Generations",
          "Lone Star", "Fargo", "Toy Story", "Titanic", "Stargate", "Heat", "Casino", "Clueless"]
RANGE = (0.5, 5.5)


@pytest.fixture(scope="module")
def models() -> FoldInModels:
    """12 movies with ids 101…112 (not indices), k = 3, made-up item sides and popularity."""
    rng = np.random.default_rng(7)
    n = len(TITLES)
    movies = pd.DataFrame({"item_id": np.arange(101, 101 + n), "title": TITLES,
                           "year": pd.array([1977, 1980, 1983, 1994, 1996, 1996, 1995, 1997, 1994,
                                             1995, 1995, None], dtype="Int64"),
                           "genres": ["Sci-Fi"] * n})
    encoding = IdEncoding(user_ids=np.arange(1, 11), item_ids=movies["item_id"].to_numpy())

    def parts():
        return {"item_embeddings": rng.normal(0, 0.6, (n, 3)), "item_bias": rng.normal(0, 0.3, n)}

    popularity = np.array([90, 60, 70, 20, 15, 80, 75, 40, 20, 30, 25, 10], dtype=float)
    return FoldInModels(movies=movies, encoding=encoding, rating_parts=parts(), ranking_parts=parts(),
                        global_mean=3.5, l2_rating=2.0, l2_ranking=1.5, popularity=popularity,
                        rating_range=RANGE)


# ---- search --------------------------------------------------------------------------------


def test_search_is_case_insensitive_most_rated_first_and_bounded(models):
    found = search_titles("STAR", models)
    # Star Wars 90, Return of the Jedi is no match, Star Trek 20 and Stargate 20 tie (lower id first)
    assert found["title"].tolist() == ["Star Wars", "Star Trek: Generations", "Stargate", "Lone Star"]
    assert found["ratings"].tolist() == [90, 20, 20, 15]
    assert list(found.columns) == ["item_id", "title", "year", "ratings"]
    assert search_titles("star", models, limit=2)["item_id"].tolist() == [101, 104]


def test_search_reads_a_trailing_the_at_the_front(models):
    assert search_titles("the empire", models)["item_id"].tolist() == [102]
    assert search_titles("  empire   strikes ", models)["item_id"].tolist() == [102]


def test_an_empty_search_gives_the_best_known_and_a_miss_gives_nothing(models):
    assert search_titles("", models, limit=3)["title"].tolist() == ["Star Wars", "Fargo", "Toy Story"]
    assert search_titles("zzz", models).empty


@pytest.mark.parametrize("query, limit, message", [(5, 8, "a few letters"), ("star", 0, "limit"),
                                                   ("star", True, "limit")])
def test_search_refuses_bad_arguments(models, query, limit, message):
    with pytest.raises(ValueError, match=message):
        search_titles(query, models, limit=limit)


def test_search_on_the_real_titles(movielens):
    ratings, movies = movielens
    from helpers.data import encode_ids

    encoded, encoding = encode_ids(ratings, movies)
    popularity = np.bincount(encoded["item_index"], minlength=encoding.n_items).astype(float)
    zeros = {"item_embeddings": np.zeros((encoding.n_items, 2)), "item_bias": np.zeros(encoding.n_items)}
    real = FoldInModels(movies=movies, encoding=encoding, rating_parts=zeros, ranking_parts=zeros,
                        global_mean=3.5, l2_rating=10.0, l2_ranking=3.0, popularity=popularity)
    assert search_titles("star wars", real)["item_id"].iloc[0] == 50
    godfather = search_titles("the godfather", real)
    assert godfather["title"].tolist()[:2] == ["Godfather, The", "Godfather: Part II, The"]
    assert len(search_titles("a", real)) == 8  # bounded


# ---- the learner's ratings -----------------------------------------------------------------


def test_ratings_by_title_or_id(models):
    assert parse_ratings({"star wars": 5, 106: 2, " Titanic ": 3.5}, models) == {101: 5.0, 106: 2.0, 108: 3.5}


@pytest.mark.parametrize("ratings, message", [
    ({}, r"no ratings yet: rate at least one movie"),
    ([("Star Wars", 5)], r"ratings must be a dict \{title or item id: stars\}, got list"),
    ({"Star Warz": 5}, r"no movie titled 'Star Warz': find its exact title with search_titles.*Star Wars"),
    ({999: 5}, r"no movie with item_id 999: ids run from 101 to 112"),
    ({"Fargo": 6}, r"the rating of 'Fargo' must be a number of stars from 1 to 5, got 6"),
    ({"Fargo": 0}, r"from 1 to 5, got 0"),
    ({"Fargo": "5"}, r"from 1 to 5, got '5'"),
    ({"Fargo": True}, r"from 1 to 5, got True"),
    ({"Fargo": float("nan")}, r"from 1 to 5, got nan"),
    ({2.5: 4}, r"2.5 is neither a title nor an item id"),
    ({"Fargo": 4, 106: 5}, r"106 is rated twice"),
])
def test_bad_ratings_are_one_clear_line(models, ratings, message):
    with pytest.raises(ValueError, match=message) as caught:
        recommend_from_ratings(ratings, models)
    assert "\n" not in str(caught.value)


# ---- the recommendations -------------------------------------------------------------------


def test_the_list_is_the_ranking_fold_in_without_the_rated_movies(models):
    ratings = {"Star Wars": 5, "Titanic": 1, 106: 4}
    table = recommend_from_ratings(ratings, models, n=5)
    rated_ids = [101, 108, 106]
    rated_index = models.encoding.item_index(rated_ids)
    mask = np.zeros((1, 12), dtype=bool)
    mask[0, rated_index] = True
    parts = models.ranking_parts
    vector = fold_in_ranking_users(mask, parts["item_embeddings"], parts["item_bias"], 1.5)[0]
    scores = parts["item_embeddings"] @ vector + parts["item_bias"]
    expected = recommend_for_new_user(scores, rated_ids, models.encoding, models.movies, n=5)
    assert table["item_id"].tolist() == expected["item_id"].tolist()
    assert not set(table["item_id"]) & set(rated_ids)
    listed = models.encoding.item_index(table["item_id"].to_numpy())
    np.testing.assert_allclose(table["score"], np.round(scores[listed], 2))
    assert table.index.name == "rank" and table.index.tolist() == [1, 2, 3, 4, 5]
    assert list(table.columns) == ["item_id", "title", "score", "predicted stars", "because you rated",
                                   "push"]


def test_predicted_stars_are_the_rating_fold_in_of_the_stars(models):
    ratings = {"Star Wars": 5, "Titanic": 1, 106: 4}
    table = recommend_from_ratings(ratings, models)
    parts = models.rating_parts
    index = models.encoding.item_index([101, 108, 106])
    vector, bias = fold_in_user(index, [5, 1, 4], parts["item_embeddings"], parts["item_bias"], 3.5,
                                2.0, RANGE)
    stars = new_user_ratings(vector, bias, parts["item_embeddings"], parts["item_bias"], 3.5, RANGE)
    listed = models.encoding.item_index(table["item_id"].to_numpy())
    np.testing.assert_allclose(table["predicted stars"], np.round(stars[listed], 2))
    # the ranking list reads which movies were rated, not the stars; the predicted stars read both
    other = recommend_from_ratings({"Star Wars": 1, "Titanic": 5, 106: 2}, models)
    assert other["item_id"].tolist() == table["item_id"].tolist()
    assert not np.allclose(other["predicted stars"], table["predicted stars"])


def test_pushes_worked_out_by_hand():
    # v = (1, 0), (0, 1), (1, 1), biases 0, user vector 0: the softmax is uniform, v̄ = (2/3, 2/3);
    # rated movie 0 pushes movie 1 by (1/3, -2/3)·(0, 1) / λ = -2/3 and movie 2 by -1/3 (λ = 1)
    parts = {"item_embeddings": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), "item_bias": np.zeros(3)}
    encoding = IdEncoding(user_ids=np.arange(1, 3), item_ids=np.array([1, 2, 3]))
    movies = pd.DataFrame({"item_id": [1, 2, 3], "title": ["a", "b", "c"], "year": [2000] * 3,
                           "genres": ["Drama"] * 3})
    tiny = FoldInModels(movies=movies, encoding=encoding, rating_parts=parts, ranking_parts=parts,
                        global_mean=3.0, l2_rating=1.0, l2_ranking=1.0, popularity=np.ones(3))
    pushes = drivers(np.array([0]), np.zeros(2), np.array([1, 2]), tiny)
    np.testing.assert_allclose(pushes, [[-2 / 3, -1 / 3]])


def test_the_pushes_add_up_to_every_score_and_name_the_driver(models):
    ratings = {"Star Wars": 5, "Fargo": 2, "Heat": 4}
    rated_index = models.encoding.item_index([101, 106, 110])
    mask = np.zeros((1, 12), dtype=bool)
    mask[0, rated_index] = True
    parts = models.ranking_parts
    vector = fold_in_ranking_users(mask, parts["item_embeddings"], parts["item_bias"], 1.5)[0]
    pushes = drivers(rated_index, vector, np.arange(12), models)
    # at the fold-in's optimum p = Σ_j (v_j − v̄) / λ, so c_i + Σ_j push_j(i) is the score, exactly
    np.testing.assert_allclose(parts["item_bias"] + pushes.sum(axis=0),
                               parts["item_embeddings"] @ vector + parts["item_bias"], atol=1e-9)
    table = recommend_from_ratings(ratings, models)
    listed = models.encoding.item_index(table["item_id"].to_numpy())
    strongest = pushes[:, listed].argmax(axis=0)
    titles = np.array(["Star Wars", "Fargo", "Heat"])
    for row, (j, i) in enumerate(zip(strongest, listed)):
        named = table["because you rated"].iloc[row]
        assert named == (titles[j] if pushes[j, i] > 0 else "none: its bias c_i")
        assert table["push"].iloc[row] == pytest.approx(round(pushes[j, i], 2))


def test_no_rated_movie_pushing_up_is_said_so(models):
    parts = {"item_embeddings": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), "item_bias": np.zeros(3)}
    encoding = IdEncoding(user_ids=np.arange(1, 3), item_ids=np.array([1, 2, 3]))
    movies = pd.DataFrame({"item_id": [1, 2, 3], "title": ["a", "b", "c"], "year": [2000] * 3,
                           "genres": ["Drama"] * 3})
    tiny = FoldInModels(movies=movies, encoding=encoding, rating_parts=parts, ranking_parts=parts,
                        global_mean=3.0, l2_rating=1.0, l2_ranking=1.0, popularity=np.ones(3))
    table = recommend_from_ratings({"c": 5}, tiny, n=2)  # (1,1) is the average-most movie
    assert set(table["because you rated"]) <= {"c", "none: its bias c_i"}
    assert (table["push"] > 0).sum() == (table["because you rated"] == "c").sum()


def test_the_fallback_is_the_popularity_list(models):
    table = popular_movies(models, n=3)
    assert table["item_id"].tolist() == [101, 106, 107] and table["ratings"].tolist() == [90, 80, 75]
    with pytest.raises(ValueError, match="n must be a whole number"):
        popular_movies(models, n=0)


def test_models_of_the_wrong_size_are_refused(models):
    with pytest.raises(ValueError, match="popularity must count ratings for each of the 12 items"):
        FoldInModels(movies=models.movies, encoding=models.encoding, rating_parts=models.rating_parts,
                     ranking_parts=models.ranking_parts, global_mean=3.5, l2_rating=1.0,
                     l2_ranking=1.0, popularity=np.ones(5))


# ---- the panel -----------------------------------------------------------------------------


def test_the_panel_searches_rates_and_updates_its_list(models):
    panel = try_it_panel(models, n=4)
    assert isinstance(panel, TryItPanel)
    assert "No ratings yet" in panel.heading.value
    assert panel.table["item_id"].tolist() == popular_movies(models, n=4)["item_id"].tolist()
    panel.search_box.value = "star"  # what typing does
    assert [label for label, _ in panel.results.options][:2] == ["Star Wars (1977)",
                                                                  "Star Trek: Generations (1994)"]
    assert panel.results.value == 101  # the best-known match is picked
    panel.stars.value = 5
    panel.rate_button.click()
    first = panel.table
    assert panel.ratings == {101: 5} and "1 rating" in panel.heading.value
    assert first["item_id"].tolist() == recommend_from_ratings({101: 5}, models, n=4)["item_id"].tolist()
    shown = panel.output.outputs[0]["data"]
    assert "<table" in shown["text/html"] and shown["text/plain"] == repr(first)
    assert 101 not in first["item_id"].tolist()  # what was rated is not recommended
    panel.search("fargo")
    panel.rate(panel.results.value, 2)
    panel.rate(110, 4)
    assert panel.ratings == {101: 5, 106: 2, 110: 4}
    assert [value for _, value in panel.rated_list.options] == [101, 106, 110]
    assert panel.table["item_id"].tolist() == recommend_from_ratings(panel.ratings, models, n=4)["item_id"].tolist()
    panel.rated_list.value = 106
    panel.remove_button.click()
    assert panel.ratings == {101: 5, 110: 4}
    panel.clear_button.click()
    assert panel.ratings == {} and "No ratings yet" in panel.heading.value


def test_the_panel_says_what_to_do_instead_of_failing(models):
    panel = try_it_panel(models)
    panel.search("zzz")
    assert "no title contains 'zzz'" in panel.message.value and panel.results.value is None
    panel.rate_button.click()
    assert "pick a movie in the list first" in panel.message.value
    panel.remove_button.click()
    assert "select one of your ratings first" in panel.message.value
    assert panel.ratings == {}


def test_the_panel_shows_one_fixed_sentence_as_text_and_has_classes_to_find_it(models):
    panel = try_it_panel(models)
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == PANEL_TEXT
    assert bundle[WIDGET_VIEW]["model_id"] == panel.widget.model_id
    classes = {name for widget in (panel.search_box, panel.results, panel.stars, panel.rate_button,
                                   panel.rated_list, panel.output, panel.widget)
               for name in widget._dom_classes}
    assert {"try-it-search", "try-it-results", "try-it-stars", "try-it-rate", "try-it-ratings",
            "try-it-recommendations", "try-it-panel"} <= classes


def test_without_ipywidgets_a_sentence_points_to_the_plain_cell(models, monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    stand_in = try_it_panel(models)
    assert isinstance(stand_in, NoWidgets)
    assert stand_in._repr_mimebundle_() == {"text/plain": NO_WIDGETS_TEXT}
    assert "plain cell below" in NO_WIDGETS_TEXT


# ---- what the committed notebook stores ----------------------------------------------------


def test_widget_views_and_state_are_not_stored():
    cell = nbformat.v4.new_code_cell("panel")
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/plain": PANEL_TEXT, WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": "x"}})]
    notebook = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    drop_widget_views(notebook)
    assert notebook.cells[0].outputs[0]["data"] == {"text/plain": PANEL_TEXT}
    assert "widgets" not in notebook.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_notebook_holds_a_widget_view_or_widget_state(path):
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata, f"{path.name}: widget state stored: re-run it with tools.run_notebooks"
    views = [cell.source[:60] for cell in notebook.cells if cell.cell_type == "code"
             for output in cell.outputs if WIDGET_VIEW in output.get("data", {})]
    assert not views, f"{path.name}: a widget view is stored (it cannot show without its kernel): {views}"


def test_notebook_06_stores_the_panels_sentence():
    path = next(p for p in NOTEBOOKS if p.name.startswith("06_"))
    shown = [output["data"]["text/plain"] for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" and "try_it_panel(" in cell.source
             for output in cell.outputs if "data" in output]
    assert shown == [PANEL_TEXT]
