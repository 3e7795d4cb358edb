"""Decoding pages whose headers lie about their charset."""

import pytest

from documents.encoding import UndecodablePage, decode_html

TEXT = "<html><head><title>商务部公告</title></head><body><p>关于对镓、锗相关物项实施出口管制的公告</p></body></html>"


def test_gbk_body_behind_utf8_header():
    text, encoding = decode_html(TEXT.encode("gbk"), "text/html; charset=UTF-8")
    assert encoding == "gb18030"
    assert "镓、锗" in text


def test_utf8_body_behind_gbk_header():
    text, encoding = decode_html(TEXT.encode("utf-8"), "text/html; charset=gbk")
    assert encoding == "utf-8"
    assert "镓、锗" in text


def test_gb18030_only_characters():
    body = "<p>㐀 and 镓</p>".encode("gb18030")
    text, encoding = decode_html(body, None)
    assert encoding == "gb18030" and "㐀" in text


def test_utf8_bom_wins():
    text, encoding = decode_html(b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "text/html; charset=gbk")
    assert encoding == "utf-8-sig" and text.startswith("<html>")


def test_meta_charset_is_used_when_header_is_silent():
    body = ('<meta charset="big5">' + "<p>商務部</p>").encode("big5")
    text, encoding = decode_html(body, "text/html")
    assert encoding == "big5" and "商務部" in text


def test_undeclared_big5_is_detected_not_read_as_gb18030():
    text = "<p>商務部公告2025年第62號 公布對稀土相關技術實施出口管制的決定。依照有關法律法規，決定對下列物項實施出口管制。</p>"
    decoded, encoding = decode_html(text.encode("big5"), "text/html")
    assert encoding == "big5" and "稀土相關技術" in decoded


def test_undeclared_gbk_is_still_gb18030():
    decoded, encoding = decode_html(TEXT.encode("gbk"), None)
    assert encoding == "gb18030" and "镓、锗" in decoded


def test_undecodable_bytes_raise_a_clear_error(monkeypatch):
    import documents.encoding as enc

    class NoGuess:
        def best(self):
            return None

    monkeypatch.setattr(enc, "from_bytes", lambda body: NoGuess())
    monkeypatch.setattr(enc, "WIDEN", {})
    with pytest.raises(UndecodablePage):
        # invalid in UTF-8 and in GB18030 (0x80 alone, 0xFF)
        enc.decode_html(b"\x80\xff\x80\xff", "text/html; charset=ascii")
