"""The extractor API: result shape, determinism, versioning and serialisation."""

from __future__ import annotations

import json

import pytest
import spacy

from extract.lexicon import state
from extract.pipeline import PRED_FIELDS, Extractor, build_nlp, load_extractor

DOC = ("商务部 海关总署公告2025年第56号\n公布对部分稀土设备相关物项实施出口管制的决定\n"
       "（一）2B902.a 稀土离心萃取设备，参考税则号列84798999；\n"
       "（二）2B902.b 稀土焙烧窑。\n本公告自2025年11月8日起正式实施。\n商务部　海关总署\n2025年10月9日")


@pytest.fixture(scope="module")
def ex() -> Extractor:
    return load_extractor()


def test_load_extractor_is_cached(ex):
    assert load_extractor() is ex
    assert ex.version.startswith("1.1.0+") and len(ex.version) == len("1.1.0+") + 12


def test_result_shape(ex):
    r = ex.extract(text=DOC)
    for key in PRED_FIELDS + ("title", "lang", "text", "items", "provisions", "conditions",
                              "spans", "warnings", "kind", "mentions"):
        assert key in r
    assert r["lang"] == "zh" and r["text"] == DOC
    assert r["title"].startswith("商务部 海关总署公告2025年第56号")
    item = r["items"][0]
    assert set(item) == {"control_code", "text", "hs_codes", "materials", "provision",
                         "effective_date", "source", "span"}
    assert item["source"] == "text" and item["control_code"] == "2B902.a"
    assert item["hs_codes"] == ["84798999"] and item["materials"] == ["rare earths"]
    assert r["text"][item["span"][0]:item["span"][1]] == item["text"]
    json.dumps(r)  # JSON-serialisable


def test_every_span_points_at_its_value(ex):
    r = ex.extract(text=DOC)
    text = r["text"]
    def sliced(field):
        return [(sp["value"], text[sp["start"]:sp["end"]]) for sp in r["spans"][field]]

    assert sliced("control_codes") == [("2B902.a", "2B902.a"), ("2B902.b", "2B902.b")]
    assert sliced("effective_dates") == [("2025-11-08", "2025年11月8日")]
    assert sliced("issue_date") == [("2025-10-09", "2025年10月9日")]
    assert set(sliced("materials")) == {("rare earths", "稀土")}


def test_deterministic_json(ex):
    a = json.dumps(ex.extract(text=DOC), ensure_ascii=False, sort_keys=True)
    b = json.dumps(ex.extract(text=DOC), ensure_ascii=False, sort_keys=True)
    assert a == b
    fresh = Extractor()
    assert fresh.version == ex.version
    assert json.dumps(fresh.extract(text=DOC), ensure_ascii=False, sort_keys=True) == a


def test_html_goes_through_parse_page(ex):
    html = ("<html><body><div class='nav'>首页 &gt; 政策发布</div><div class='article'>"
            + "".join(f"<p>{line}</p>" for line in DOC.splitlines()) + "</div>"
            "<div class='footer'>京ICP备05004093号</div></body></html>")
    r = ex.extract(html=html, source="mofcom")
    assert r["number"] == "MOFCOM-2025-56" and "ICP" not in r["text"]


def test_attachments_add_items(ex):
    r = ex.extract(text="商务部公告2025年第62号\n物项清单见附件。\n商务部\n2025年10月9日",
                   attachments=[{"name": "附件1.docx", "text": "1E902.a 稀土冶炼分离技术\n"
                                                             "1E902.b 稀土生产线装配技术"}])
    assert r["control_codes"] == ["1E902.a", "1E902.b"]
    assert {i["source"] for i in r["items"]} == {"attachment:附件1.docx"}
    assert r["materials"] == ["rare earths"]


def test_english_pipeline_is_chosen(ex):
    r = ex.extract(text="MOFCOM Announcement No. 21 of 2025\nDate: April 4, 2025\n"
                        "This announcement takes effect on the date of its publication.")
    assert r["lang"] == "en"
    assert r["effective_dates"] == ["2025-04-04"]


def test_version_changes_with_data(tmp_path, monkeypatch):
    from extract import lexicon, pipeline

    data = tmp_path / "data"
    data.mkdir()
    for file in lexicon.DATA_DIR.iterdir():
        (data / file.name).write_bytes(file.read_bytes())
    before = pipeline.source_digest()
    monkeypatch.setattr(pipeline, "DATA_DIR", data)
    assert pipeline.source_digest() == before
    (data / "materials.jsonl").write_text(
        (data / "materials.jsonl").read_text(encoding="utf-8")
        + '{"material": "osmium", "kind": "alias", "zh": ["锇锭"], "en": []}\n',
        encoding="utf-8")
    assert pipeline.source_digest() != before


def test_to_disk_from_disk_round_trip(tmp_path):
    nlp = build_nlp("zh")
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == nlp.pipe_names
    for name in nlp.pipe_names:
        assert loaded.get_pipe(name).patterns == nlp.get_pipe(name).patterns
    a, b = nlp(DOC), loaded(DOC)
    for key in ("number", "issuers", "materials", "references"):
        assert state(a).get(key) == state(b).get(key)
    assert state(b)["number"] == "MOFCOM-2025-56"


def test_component_bytes_round_trip():
    nlp = build_nlp("zh")
    pipe = nlp.get_pipe("regwatch_references")
    other = build_nlp("zh").get_pipe("regwatch_references")
    other.set_patterns([{"relation": "repeals", "lang": "zh", "cues": ["作废"]}])
    other.from_bytes(pipe.to_bytes())
    assert other.patterns == pipe.patterns


def test_from_disk_bad_path_is_a_coded_error(tmp_path):
    from extract.errors import ExtractError

    pipe = build_nlp("zh").get_pipe("regwatch_codes")
    with pytest.raises(ExtractError, match=r"\[E001\]"):
        pipe.from_disk(tmp_path / "nowhere")


def test_nlp_evaluate_reports_fields():
    nlp = build_nlp("zh")
    scores = nlp.evaluate(_examples(nlp))
    assert scores["number_f"] == 1.0 and scores["control_codes_f"] == 1.0


def _examples(nlp):
    from spacy.training import Example

    pred, ref = nlp.make_doc(DOC), nlp.make_doc(DOC)
    ref.user_data["gold"] = {"number": "MOFCOM-2025-56", "control_codes": ["2B902.a", "2B902.b"]}
    return [Example(pred, ref)]
