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


def test_the_demo_id_numbers_pass_the_registry_check_and_carry_their_birth_date():
    """The factory builds a number from cached parts (county, date, sequence) and their weighted
    sums; the registry's own validation must accept every one, with the birth date it returns."""
    from datetime import date

    from fupin.demo.province import PersonFactory
    from households.idnumbers import birth_date_of, check_character, gender_of, normalize_id_number

    people = PersonFactory(random.Random(5), slot=(1, 3))
    numbers = set()
    for day in range(40):
        for male in (True, False):
            number, birth = people.id_number("622926000000", date(1961, 2, 1 + day % 28), male)
            assert normalize_id_number(number) == number
            assert number[-1] == check_character(number[:17])
            assert birth_date_of(number) == birth
            assert gender_of(number) == ("1" if male else "2")
            numbers.add(number)
    assert len(numbers) == 80
    # Past 500 people of one sex on one day (a sequence over 999), the next day takes them.
    crowded = PersonFactory(random.Random(5))
    births = {crowded.id_number("622926000000", date(1970, 5, 9), True)[1] for _ in range(501)}
    assert births == {date(1970, 5, 9), date(1970, 5, 10)}
