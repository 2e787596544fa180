"""The pairs benchmark's many-field corpora (benchmarks/pairs_job.py): well-formed field files,
one field per certification, nested corpora (what the benchmark's growth figures rely on)."""

from __future__ import annotations

import json

from benchmarks import pairs_job


def test_field_files_hold_six_blocs_of_ten_distinct_statements():
    files = sorted(pairs_job.FIELDS.glob("*.json"))
    assert len(files) == 40
    domains = set()
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        domains.add(data["domain"])
        assert len(data["blocs"]) == 6, path.name
        statements = [s for b in data["blocs"] for s in b["competences"]]
        assert all(len(b["competences"]) == 10 and b["title"].strip() for b in data["blocs"]), path.name
        assert len(set(statements)) == 60, path.name
        assert all(12 <= len(s.split()) <= 35 for s in statements), path.name
    assert len(domains) == 40


def test_fields_corpus_draws_each_certification_from_one_field_and_nests():
    pools = dict(pairs_job.field_pools())
    small, large = pairs_job.fields_corpus(120, seed=3), pairs_job.fields_corpus(400, seed=3)
    assert sum(len(c.competences) for c in small) == 120
    assert sum(len(c.competences) for c in large) == 400
    for cert in large:
        domain = cert.title.rsplit(" (", 1)[0]
        cores = {s.rstrip(".") for _, s in pools[domain]}
        used = []
        for comp in cert.competences:  # its core statement comes from its own field, maybe with a clause
            core = [c for c in cores if comp.statement == c or comp.statement.startswith(c + " ; ")]
            assert core, comp.statement
            used.append(max(core, key=len))
        assert len(set(used)) == len(used)  # distinct statements within a certification
    # The larger corpus starts with the smaller one (its last certification may be cut short).
    for a, b in zip(list(small)[:-1], large):
        assert [c.statement for c in a.competences] == [c.statement for c in b.competences]
