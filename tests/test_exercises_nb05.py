"""Notebook 05's exercises: the notebook's own hidden solutions pass their checkers, and typical
mistakes fail with feedback that names them (how: ``helpers.exercises.testing``).
"""

from __future__ import annotations

from helpers.exercises import nb05 as exercises
from helpers.exercises.testing import NotebookExercises

TOP_10 = "top_n(ranking_scores(ranking_model), seen_mask(train, n_users, n_items))"
RANKED_BY_HAND = '''
user_scores = ranking_scores(ranking_model)[encoding.user_index([42])[0]]
answer = encoding.item_ids[np.argsort(-user_scores)[:10]].tolist()
'''
NEAREST_BY_HAND = '''
item_embeddings = extract_embeddings(ranking_model)["item_embeddings"]
unit = item_embeddings / np.linalg.norm(item_embeddings, axis=1, keepdims=True)
cosine = unit @ unit[encoding.item_index([item_id_of(movies, "Star Wars")])[0]]
answer = movies.set_index("item_id").loc[encoding.item_ids[np.argmax(cosine)], "title"]
'''
MISTAKES = [
    (1, RANKED_BY_HAND, "already rated"),
    (1, f"answer = {TOP_10}[encoding.user_index([42])[0]].tolist()", "item indices"),
    (1, f"answer = encoding.item_ids[{TOP_10}[42]].tolist()", "user index 42"),
    (1, {'answer = table["item_id"].tolist()': 'answer = sorted(table["item_id"])'}, "right order"),
    (2, NEAREST_BY_HAND, "Star Wars itself"),
    (3, {"k=5": "k=10", "@5": "@10"}, "hit rate@10"),
    (3, {"answer = evaluate_ranking(": "answer = 100 * evaluate_ranking("}, "percentage"),
    (3, {"k=5)": "k=5, threshold=5)"}, "only 5-star"),
    (4, {", threshold=5": ""}, "4-star ratings"),
    (4, {"ranking_scores(ranking_model)": "popularity_scores(train, n_users, n_items)"},
     "most-popular baseline"),
]


class TestExercises(NotebookExercises):
    exercises = exercises
    mistakes = MISTAKES

    def computed(self) -> dict:
        """The checkers' own ranking model stands for the notebook's (trained the same way, seeded);
        the rating model and the score matrices are left out: no solution uses them."""
        return {"ranking_model": exercises.ranking_model()}


def test_a_short_list_fails(capsys):
    assert not exercises.q1.check([1, 2, 3])
    assert "expected 10 item ids" in capsys.readouterr().out
