"""Suspension windows: in the same sentence, in a sentence of their own, title then body."""

from extract.pipeline import load_extractor


def _refs(text: str) -> dict[str, tuple]:
    result = load_extractor().extract(text=text)
    return {r["target"]: (r["relation"], r["from"], r["until"], r["clause"]) for r in result["references"]}


def test_period_in_a_sentence_of_its_own_applies_to_every_suspended_target():
    text = ("商务部公告2030年第12号\n公布暂停实施商务部公告2030年第3号、第4号的决定\n"
            "一、暂停实施商务部公告2030年第3号、第4号。\n二、上述暂停期限为自即日起至2031年3月1日。\n"
            "商务部\n2030年5月6日")
    assert _refs(text) == {
        "MOFCOM-2030-3": ("suspends", "2030-05-06", "2031-03-01", None),
        "MOFCOM-2030-4": ("suspends", "2030-05-06", "2031-03-01", None),
    }


def test_title_mention_does_not_hide_the_window_given_in_the_body():
    text = ("商务部公告2030年第20号\n暂停实施商务部公告2029年第7号第二款的决定\n"
            "决定自即日起至2031年1月15日，暂停实施商务部公告2029年第7号第二款。\n商务部\n2030年6月1日")
    assert _refs(text) == {"MOFCOM-2029-7": ("suspends", "2030-06-01", "2031-01-15", "第二款")}


def test_english_suspension_period_sentence():
    text = ("MOFCOM Announcement No. 30 of 2030\nDate: July 2, 2030\n"
            "The implementation of MOFCOM Announcement No. 9 of 2030 is suspended.\n"
            "The suspension takes effect immediately and lasts until March 31, 2031.")
    relation, start, until, _ = _refs(text)["MOFCOM-2030-9"]
    assert (relation, until) == ("suspends", "2031-03-31")


def test_table_row_number_is_not_part_of_the_item():
    html = ("<html><body><div class='article'><p>商务部公告2030年第40号</p>"
            "<p>决定对下列物项实施出口管制：</p><table>"
            "<tr><td>序号</td><td>管制编码</td><td>物项名称</td><td>参考海关商品编号</td></tr>"
            "<tr><td>1</td><td>1C999.a</td><td>某金属</td><td>2805301910</td></tr>"
            "<tr><td>2</td><td>1C999.b</td><td>某氧化物</td><td>2846901940</td></tr>"
            "</table><p>本公告自公布之日起正式实施。</p><p>商务部</p><p>2030年9月1日</p></div></body></html>")
    result = load_extractor().extract(html=html)
    items = {i["control_code"]: i for i in result["items"]}
    assert set(items) == {"1C999.a", "1C999.b"}
    for code, item in items.items():
        assert item["text"].startswith(code)
        start, end = item["span"]
        assert result["text"][start:end] == item["text"]
