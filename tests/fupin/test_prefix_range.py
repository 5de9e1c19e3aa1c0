from hypothesis import given
from hypothesis import strategies as st

from core.regions import RegionLevel, code_prefix
from core.scoping import prefix_range

codes = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(code=codes, level=st.sampled_from(list(RegionLevel)), other=codes)
def test_a_code_is_in_the_range_exactly_when_it_starts_with_the_prefix(code, level, other):
    prefix = code_prefix(code, level)
    low, high = prefix_range(prefix)
    for candidate in (code, other):
        inside = low <= candidate and (high is None or candidate < high)
        assert inside == candidate.startswith(prefix)


def test_examples():
    assert prefix_range("622926") == ("622926", "622927")
    assert prefix_range("622929") == ("622929", "622930")
    assert prefix_range("99") == ("99", None)
