import random

from fupin.demo.draws import WeightedDraw


def test_a_weighted_draw_is_the_draw_random_choices_makes():
    """The demo's draws replace rng.choices: the same seed must still give the same province."""
    weights = {"a": 5, "b": 0, "c": 20, "d": 1, 7: 3}
    draw = WeightedDraw(weights)
    ours, theirs = random.Random(11), random.Random(11)
    drawn = [draw(ours) for _ in range(5000)]
    assert drawn == [theirs.choices(list(weights), weights=list(weights.values()))[0] for _ in range(5000)]
    assert set(drawn) == {"a", "c", "d", 7}
    assert ours.random() == theirs.random()
