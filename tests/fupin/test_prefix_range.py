from hypothesis import given
from hypothesis import strategies as st

from core.scoping import prefix_range

codes = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(code=codes, length=st.sampled_from([2, 4, 6, 9, 12]), other=codes)
def test_a_code_is_in_the_range_exactly_when_it_starts_with_the_prefix(code, length, other):
    prefix = code[:length]
    low, high = prefix_range(prefix)
    for candidate in (code, other):
        inside = low <= candidate and (high is None or candidate < high)
        assert inside == candidate.startswith(prefix)


def test_examples():
    assert prefix_range("622926") == ("622926", "622927")
    assert prefix_range("622929") == ("622929", "622930")
    assert prefix_range("99") == ("99", None)
