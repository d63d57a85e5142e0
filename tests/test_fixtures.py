"""Every rule's fixture: bad lines carry ``# SPKnnn`` comments, good lines must stay silent."""

from __future__ import annotations

import pytest

from sparkcoach import registry

from helpers import actual_findings, expected_findings, fixture_files

FILES = fixture_files("python")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture(path):
    text = path.read_text(encoding="utf-8")
    expected = expected_findings(text)
    found = actual_findings(text, str(path))
    got = sorted(((f.line, f.code) for f in found), key=lambda t: (t[0], t[1]))
    assert got == [(line, code) for line, code, _ in expected], "\n".join(
        f"{f.line}:{f.column} {f.code} {f.message}" for f in found)
    cols = {(line, code): col for line, code, col in expected if col is not None}
    for f in found:
        if (f.line, f.code) in cols:
            assert f.column == cols[(f.line, f.code)], f"{f.code} at line {f.line}: column {f.column}"


def test_every_rule_has_a_fixture_with_bad_and_good_code():
    stems = {p.stem for p in FILES}
    for code in (r.code for r in registry.all_rules() if r.kind in ("python", "sql")):
        assert code in stems, f"no fixture tests/fixtures/python/{code}.py"
        text = (FILES[0].parent / f"{code}.py").read_text(encoding="utf-8")
        assert any(c == code for _, c, _ in expected_findings(text)), f"{code}: fixture has no bad example"
        assert "# good" in text.lower(), f"{code}: fixture has no '# good' section"
