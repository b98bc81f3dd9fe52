"""Symbol tables: sizes, order facts and ids measured on upstream GPT-SoVITS."""

import pytest

from tts.text.symbols import SYMBOLS_V1, SYMBOLS_V2, symbol_to_id, symbols_for


def test_sizes_and_prefix():
    assert len(SYMBOLS_V1) == 322
    assert len(SYMBOLS_V2) == 732
    assert SYMBOLS_V2[:322] == SYMBOLS_V1
    assert len(set(SYMBOLS_V2)) == 732


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_known_ids(version):
    ids = symbol_to_id(version)
    assert (ids[","], ids["."], ids["SP"], ids["SP2"], ids["SP3"], ids["UNK"], ids["_"]) == (1, 3, 77, 78, 79, 86, 95)
    assert ids["!"] == 0 and ids["AA"] == 5 and ids["zh"] == 320 and ids["…"] == 321


def test_v2_tail_order():
    # after v1: Japanese pitch marks, sorted Korean jamo (+ 空 停), then sorted Cantonese symbols
    assert SYMBOLS_V2[322:324] == ("[", "]")
    assert SYMBOLS_V2[324] == "ㄱ" and SYMBOLS_V2[352] == "空"
    assert SYMBOLS_V2[353] == "Ya" and SYMBOLS_V2[-1] == "Yz"
    assert sum(s.startswith("Y") and s != "Y" for s in SYMBOLS_V2[353:]) == 379


def test_unknown_version():
    with pytest.raises(ValueError, match="unknown symbol table version 'v3'"):
        symbols_for("v3")
