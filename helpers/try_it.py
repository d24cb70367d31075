"""Try it on yourself (notebook 06, section 4.5): your own ratings, folded into the two models.

The lesson is section 4's fold-in (``helpers.recommend.fold_in_user`` for predicted stars,
``fold_in_ranking_users`` for the top-10 list); this module wraps it for a person:

- ``FoldInModels``            what a fold-in needs, gathered once: the movies, the encoding, the
                              two models' fixed item sides, μ, the λs and the popularity counts;
- ``search_titles``           movies whose title contains a few letters, best-known first;
- ``recommend_from_ratings``  ``{title or item id: stars}`` → the top 10 from the ranking fold-in,
                              the rating model's predicted stars, and the rated movie that drove
                              each recommendation (``drivers``: the definition is there);
- ``popular_movies``          the list for someone who has rated nothing yet (section 4.1);
- ``try_it_panel``            the same as a small ipywidgets panel: search, rate, see the list
                              change. Without ipywidgets it says to use the plain cell instead.

The panel displays as one fixed sentence in ``text/plain``, so a frontend that shows no widgets
(or nbval, which compares that text) sees the same output on every run.
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data import IdEncoding
from helpers.recommend import fold_in_ranking_users, fold_in_user, new_user_ratings, top_n

STARS = (1, 5)
"""The stars a rating may have, lowest and highest (MovieLens 100k's scale)."""

PANEL_TEXT = ("Try-it panel (ipywidgets): run this cell in Jupyter to search a title, rate it and "
              "watch your top 10 change. Where no panel shows, put your ratings in the plain cell "
              "below instead.")
"""What the panel shows where widgets cannot be drawn, and what the notebook stores."""

NO_WIDGETS_TEXT = ("The try-it panel needs ipywidgets, which is not installed (`pip install "
                   "ipywidgets`): put your ratings in the plain cell below instead.")


@dataclass(frozen=True, eq=False)
class FoldInModels:
    """What folding a new user in needs, from notebook 06's section 4 (arrays by item index)."""

    movies: pd.DataFrame
    encoding: IdEncoding
    rating_parts: dict  # extract_embeddings(rating_model): "item_embeddings", "item_bias"
    ranking_parts: dict  # extract_embeddings(ranking_model): likewise
    global_mean: float
    l2_rating: float
    l2_ranking: float
    popularity: np.ndarray  # training ratings per item index: the fallback list and search order
    rating_range: tuple[float, float] | None = None  # the rating model's squashing range

    def __post_init__(self) -> None:
        n_items = self.encoding.n_items
        for name, parts in (("rating_parts", self.rating_parts), ("ranking_parts", self.ranking_parts)):
            if len(parts["item_embeddings"]) != n_items or np.size(parts["item_bias"]) != n_items:
                raise ValueError(f"{name} must hold {n_items} items (the encoding's), got "
                                 f"{len(parts['item_embeddings'])}: pass extract_embeddings(model)")
        if np.size(self.popularity) != n_items:
            raise ValueError(f"popularity must count ratings for each of the {n_items} items, got "
                             f"{np.size(self.popularity)} values")


def _titles_by_index(models: FoldInModels) -> pd.DataFrame:
    """The movies table in item-index order (``item_id``, ``title``, ``year``, ``genres``)."""
    table = models.movies.set_index("item_id").reindex(models.encoding.item_ids)
    return table.rename_axis("item_id").reset_index()


def _label(title: str, year) -> str:
    return f"{title} ({year})" if pd.notna(year) else str(title)


def search_titles(query: str, models: FoldInModels, limit: int = 8) -> pd.DataFrame:
    """Movies whose title contains ``query`` (any case), the most rated first, at most ``limit``.

    "the empire" finds *Empire Strikes Back, The*: a trailing ", The" (", A", ", An") is also read
    at the front. An empty query gives the best-known movies. A table with ``item_id``,
    ``title``, ``year`` and ``ratings`` (training ratings, the order of the list).
    """
    if not isinstance(query, str):
        raise ValueError(f"query must be a few letters of a title, got {type(query).__name__}")
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 1:
        raise ValueError(f"limit must be a whole number of 1 or more, got {limit!r}")
    table = _titles_by_index(models)
    titles = table["title"].fillna("").str.lower()
    # "empire strikes back, the" also reads as "the empire strikes back"
    front = titles.str.replace(r"^(.*), (the|a|an)$", r"\2 \1", regex=True)
    wanted = " ".join(query.lower().split())
    found = titles.str.contains(wanted, regex=False) | front.str.contains(wanted, regex=False)
    table["ratings"] = np.asarray(models.popularity, dtype=np.int64)
    order = np.lexsort((np.arange(len(table)), -table["ratings"].to_numpy()))  # ties: item index
    ranked = table.iloc[order]
    ranked = ranked[found.to_numpy()[order]].head(int(limit))
    return ranked[["item_id", "title", "year", "ratings"]].reset_index(drop=True)


def parse_ratings(ratings: dict, models: FoldInModels) -> dict[int, float]:
    """``{title or item id: stars}`` checked, as ``{item id: stars}``: one line says what is wrong."""
    if not isinstance(ratings, dict):
        raise ValueError(f"ratings must be a dict {{title or item id: stars}}, got "
                         f"{type(ratings).__name__}")
    if not ratings:
        raise ValueError("no ratings yet: rate at least one movie, e.g. {'Star Wars': 5} "
                         "(with none, popular_movies(models) is the list to show)")
    titles = models.movies["title"].str.lower()
    low, high = STARS
    parsed: dict[int, float] = {}
    for key, stars in ratings.items():
        if isinstance(key, str):
            matches = models.movies.loc[titles == key.strip().lower(), "item_id"]
            if matches.empty:
                near = difflib.get_close_matches(key.strip(), models.movies["title"].tolist(), n=3)
                raise ValueError(f"no movie titled {key!r}: find its exact title with "
                                 f"search_titles({key.strip()[:12]!r}, models)"
                                 + (f" (did you mean {near}?)" if near else ""))
            item_id = int(matches.iloc[0])  # a title shared by two movies: the first, as item_id_of
        elif isinstance(key, numbers.Integral) and not isinstance(key, bool):
            item_id = int(key)
            if item_id not in set(models.encoding.item_ids.tolist()):
                raise ValueError(f"no movie with item_id {item_id}: ids run from "
                                 f"{models.encoding.item_ids.min()} to {models.encoding.item_ids.max()}"
                                 " (or give the title)")
        else:
            raise ValueError(f"{key!r} is neither a title nor an item id: key each rating by the "
                             "movie's title (a string) or its item_id (a whole number)")
        if (isinstance(stars, bool) or not isinstance(stars, numbers.Real)
                or not low <= float(stars) <= high):
            raise ValueError(f"the rating of {key!r} must be a number of stars from {low} to "
                             f"{high}, got {stars!r}")
        if item_id in parsed:
            raise ValueError(f"{key!r} is rated twice (by its title and by its id): keep one rating")
        parsed[item_id] = float(stars)
    return parsed


def drivers(rated_index: np.ndarray, ranking_vector: np.ndarray, item_index: np.ndarray,
            models: FoldInModels) -> np.ndarray:
    """How much each rated movie pushes each listed movie's score (notebook 06, section 4.5):
    ``pushes[j, i]`` for the j-th of ``rated_index`` and the i-th of ``item_index``.

    At the ranking fold-in's optimum the gradient is 0 (notebook 06's appendix), so the user's
    vector is a sum of one term per rated movie, p = Σ_j (v_j − v̄) / λ, where v̄ = Σ_l π_l v_l is
    the item vectors' average under the user's softmax π. A movie's score c_i + p·v_i is then
    c_i + Σ_j push_j(i) exactly, with push_j(i) = (v_j − v̄)·v_i / λ: the rated movie with the
    largest push is the one that drove the recommendation.
    """
    vectors = np.asarray(models.ranking_parts["item_embeddings"], dtype=np.float64)
    bias = np.asarray(models.ranking_parts["item_bias"], dtype=np.float64).ravel()
    logits = vectors @ ranking_vector + bias
    shares = np.exp(logits - logits.max())
    average = (shares / shares.sum()) @ vectors
    return (vectors[rated_index] - average) @ vectors[item_index].T / models.l2_ranking


def recommend_from_ratings(ratings: dict, models: FoldInModels, n: int = 10) -> pd.DataFrame:
    """A new user's top ``n`` from their ``{title or item id: stars}``, without the movies rated.

    The list is the ranking model's, folded in over the movies rated (which movies, not their
    stars: section 4.2); ``predicted stars`` is the rating model's fold-in, which reads the stars.
    ``because you rated`` names the rated movie with the largest ``push`` on the score
    (``drivers``), or says none did when every push is negative.
    """
    parsed = parse_ratings(ratings, models)
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a whole number of 1 or more, got {n!r}")
    rated_index = models.encoding.item_index(list(parsed))
    stars = np.array(list(parsed.values()))
    user_vector, user_bias = fold_in_user(rated_index, stars, models.rating_parts["item_embeddings"],
                                          models.rating_parts["item_bias"], models.global_mean,
                                          models.l2_rating, models.rating_range)
    predicted = new_user_ratings(user_vector, user_bias, models.rating_parts["item_embeddings"],
                                 models.rating_parts["item_bias"], models.global_mean,
                                 models.rating_range)
    n_items = models.encoding.n_items
    rated = np.zeros((1, n_items), dtype=bool)
    rated[0, rated_index] = True
    vectors = np.asarray(models.ranking_parts["item_embeddings"], dtype=np.float64)
    bias = np.asarray(models.ranking_parts["item_bias"], dtype=np.float64).ravel()
    ranking_vector = fold_in_ranking_users(rated, vectors, bias, models.l2_ranking)[0]
    scores = vectors @ ranking_vector + bias
    listed = top_n(scores[None, :], rated, min(int(n), n_items))[0]
    listed = listed[listed >= 0]
    pushes = drivers(rated_index, ranking_vector, listed, models)
    strongest = pushes.argmax(axis=0)
    movies = _titles_by_index(models)
    rated_titles = movies["title"].to_numpy()[rated_index]
    table = pd.DataFrame({
        "item_id": models.encoding.item_ids[listed],
        "title": movies["title"].to_numpy()[listed],
        "score": np.round(scores[listed], 2),
        "predicted stars": np.round(predicted[listed], 2),
        "because you rated": [rated_titles[j] if pushes[j, i] > 0 else "none: its bias c_i"
                              for i, j in enumerate(strongest)],
        "push": np.round(pushes[strongest, np.arange(len(listed))], 2),
    }, index=pd.RangeIndex(1, len(listed) + 1, name="rank"))
    return table


def popular_movies(models: FoldInModels, n: int = 10) -> pd.DataFrame:
    """The ``n`` most rated movies, for someone who has rated nothing yet (section 4.1's list)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a whole number of 1 or more, got {n!r}")
    popularity = np.asarray(models.popularity, dtype=np.float64)
    listed = top_n(popularity[None, :], None, min(int(n), len(popularity)))[0]
    movies = _titles_by_index(models)
    return pd.DataFrame({"item_id": models.encoding.item_ids[listed],
                         "title": movies["title"].to_numpy()[listed],
                         "ratings": popularity[listed].astype(np.int64)},
                        index=pd.RangeIndex(1, len(listed) + 1, name="rank"))


# --------------------------------------------------------------------------------------------
# The panel: the functions above behind a search box, a stars control and a Rate button
# --------------------------------------------------------------------------------------------


class NoWidgets:
    """Stands in for the panel where ipywidgets is not installed: one sentence, no error."""

    def _repr_mimebundle_(self, **kwargs) -> dict:
        return {"text/plain": NO_WIDGETS_TEXT}


class TryItPanel:
    """Search, rate, and watch the top 10 change: ``try_it_panel(models)`` builds it.

    ``rate``, ``remove``, ``clear`` and ``search`` do what the buttons and the search box do;
    ``ratings`` is the learner's ratings as a dict for ``recommend_from_ratings``; ``table`` is
    the table shown. Widgets carry CSS classes ``try-it-…`` (the browser test finds them so).
    """

    def __init__(self, models: FoldInModels, n: int = 10) -> None:
        import ipywidgets as widgets

        self.models, self.n = models, n
        self._stars: dict[int, int] = {}
        self._movies = _titles_by_index(models).set_index("item_id")
        self.search_box = widgets.Text(placeholder="type part of a title, e.g. star wars",
                                       description="Movie", continuous_update=True)
        self.results = widgets.Dropdown(options=[], description="Pick",
                                        layout=widgets.Layout(width="28em"))
        self.stars = widgets.ToggleButtons(options=[(f"{s} ★", s) for s in range(STARS[0], STARS[1] + 1)],
                                           value=4, description="Stars",
                                           style={"button_width": "4.5em"},
                                           layout=widgets.Layout(width="auto"))
        self.rate_button = widgets.Button(description="Rate", button_style="primary", icon="star",
                                          layout=widgets.Layout(width="8em"))
        self.rated_list = widgets.Select(options=[], description="Rated", rows=4,
                                         layout=widgets.Layout(width="28em"))
        self.remove_button = widgets.Button(description="Remove")
        self.clear_button = widgets.Button(description="Clear all")
        self.message = widgets.HTML()
        self.heading = widgets.HTML()
        self.output = widgets.Output()
        for widget, name in ((self.search_box, "search"), (self.results, "results"),
                             (self.stars, "stars"), (self.rate_button, "rate"),
                             (self.rated_list, "ratings"), (self.remove_button, "remove"),
                             (self.clear_button, "clear"), (self.message, "message"),
                             (self.heading, "heading"), (self.output, "recommendations")):
            widget.add_class(f"try-it-{name}")
        self.search_box.observe(lambda change: self.search(change["new"]), names="value")
        self.rate_button.on_click(lambda _: self._act(self.rate, self.results.value, self.stars.value))
        self.remove_button.on_click(lambda _: self._act(self.remove, self.rated_list.value))
        self.clear_button.on_click(lambda _: self._act(self.clear))
        self.widget = widgets.VBox([
            widgets.HBox([self.search_box, self.results]),
            widgets.HBox([self.stars, self.rate_button], layout=widgets.Layout(align_items="flex-end")),
            widgets.HBox([self.rated_list, widgets.VBox([self.remove_button, self.clear_button])]),
            self.message, self.heading, self.output])
        self.widget.add_class("try-it-panel")
        self.search("")
        self._refresh()

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = PANEL_TEXT  # the same sentence on every run: nbval compares it
        return bundle

    def _act(self, action, *args) -> None:
        """Run a button's action; a person's mistake shows as a message, not a traceback."""
        try:
            action(*args)
        except ValueError as error:
            self.message.value = f"<span style='color:#b3261e'>{error}</span>"

    def search(self, query: str) -> None:
        """Fill the Pick list with the titles that contain ``query``."""
        found = search_titles(query, self.models)
        self.results.options = [(_label(row.title, row.year), int(row.item_id))
                                for row in found.itertuples()]
        self.results.index = 0 if len(found) else None  # the best-known match, ready to rate
        self.message.value = "" if len(found) else f"no title contains {query.strip()!r}"

    def rate(self, item_id, stars: int) -> None:
        """Rate (or re-rate) the movie ``item_id`` with ``stars``; the list updates."""
        if item_id is None:
            raise ValueError("pick a movie in the list first (type part of its title above)")
        parse_ratings({int(item_id): stars}, self.models)  # the same checks as the plain cell
        self._stars[int(item_id)] = int(stars)
        self.message.value = ""
        self._refresh()

    def remove(self, item_id) -> None:
        """Forget the rating of ``item_id``."""
        if item_id is None:
            raise ValueError("select one of your ratings first")
        self._stars.pop(int(item_id), None)
        self.message.value = ""
        self._refresh()

    def clear(self) -> None:
        """Forget every rating: back to the popular movies."""
        self._stars.clear()
        self.message.value = ""
        self._refresh()

    @property
    def ratings(self) -> dict:
        """The ratings so far, ``{item id: stars}``: paste them into the plain cell as they are."""
        return dict(self._stars)

    def _refresh(self) -> None:
        self.rated_list.options = [
            (f"{_label(self._movies.at[i, 'title'], self._movies.at[i, 'year'])} · {s} ★", i)
            for i, s in self._stars.items()]
        count = len(self._stars)
        if count:
            self.table = recommend_from_ratings(self.ratings, self.models, self.n)
            self.heading.value = (f"<b>Your top {len(self.table)}</b> from the ranking fold-in "
                                  f"over {count} rating{'s' if count > 1 else ''}")
        else:
            self.table = popular_movies(self.models, self.n)
            self.heading.value = (f"<b>No ratings yet:</b> the {len(self.table)} most popular "
                                  "movies (section 4.1)")
        # set the Output's content from the kernel: nothing is printed into the cell's own output
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/plain": repr(self.table),
                                         "text/html": self.table._repr_html_()}},)


def try_it_panel(models: FoldInModels, n: int = 10):
    """The try-it panel, or where ipywidgets is missing a sentence pointing to the plain cell."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return NoWidgets()
    return TryItPanel(models, n)
