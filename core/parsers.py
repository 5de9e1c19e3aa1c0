"""The API's JSON parser: DRF's, refusing bodies nested deeper than any request of ours.

Python's json decoder recurses once per level, so a body of 1,000 nested brackets raises
RecursionError (a 500) and even less deep ones cost stack in every serializer after it. The
deepest body the API takes is a household with its members and their lists (four or five
levels); MAX_DEPTH leaves room and refuses the rest with a 400 before decoding. The depth is
counted on the raw text with the string literals blanked out, without recursion.
"""

import codecs
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

MAX_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON `text` (strings ignored)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            # get_encoding refuses bytes-to-bytes codecs (a compressed body that would expand).
            encoding = get_encoding(parser_context or {})
            text = codecs.getreader(encoding)(stream).read()
        except (ParseError, ValueError, LookupError) as error:
            raise ParseError("请求内容的字符编码无效。") from error
        if json_depth(text) > MAX_DEPTH:
            raise ParseError(f"请求内容嵌套过深（超过{MAX_DEPTH}层）。")
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as error:
            raise ParseError(f"请求内容不是有效的 JSON：{error}") from error
