"""The one page bar of the lists paged by Django's Paginator (templates/includes/_page_links.html)."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string

PAGE_LINKS = "includes/_page_links.html"


def bar(number: int, count: int = 45, **context) -> str:
    page = Paginator(range(count), 20).page(number)
    return render_to_string(PAGE_LINKS, {"page": page, **context})


def test_the_middle_page_links_both_ways_keeping_the_lists_other_parameters():
    html = bar(2, query="status=NEW&way=1")  # a QueryDict's urlencode(), escaped by the template
    assert 'rel="prev" href="?status=NEW&amp;way=1&amp;page=1"' in html
    assert 'rel="next" href="?status=NEW&amp;way=1&amp;page=3"' in html
    assert "第2页，共3页</span>" in html


def test_without_other_parameters_the_links_carry_the_page_alone():
    assert 'href="?page=2"' in bar(1) and "上一页" not in bar(1) and "下一页" not in bar(3)


def test_a_unit_shows_the_total_and_an_id_names_it():
    html = bar(1, unit="个账号", count_id="user-count")
    assert '<span class="page-link" id="user-count">第1页，共3页（45个账号）</span>' in html


def test_one_page_shows_no_bar_unless_asked_and_an_empty_list_never():
    assert bar(1, count=5).strip() == ""
    assert "第1页，共1页（5个账号）" in bar(1, count=5, unit="个账号", always=True)
    assert bar(1, count=0, unit="个账号", always=True).strip() == ""
