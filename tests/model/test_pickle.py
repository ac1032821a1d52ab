"""A loaded Corpus survives pickling, and is read back without pydantic or the YAML loader.

The source models are plain dataclasses (`model.schema`), so a process that only unpickles a Corpus (a
kept load) imports neither pydantic nor PyYAML (~70 ms of its start-up): reading fields, comparing and
writing the sources back must work there, and give what the loading process had.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

from avtal.model import load
from avtal.model.dump import dump_document
from tests.conftest import SOURCES

# Unpickles first and reads everything; only then loads the sources itself (which validates) to compare.
PROBE = """
import json, pickle, sys
from pathlib import Path
from avtal.model import load
corpus = pickle.loads(Path(sys.argv[1]).read_bytes())
seen = {"reprs": {d.id: repr(d.source) for d in corpus.documents},
        "labels": [c.label for d in corpus.documents for c in d.clauses()],
        "terms": [t.source.term for t in corpus.terms],
        "imported": sorted({m.split(".")[0] for m in sys.modules} & {"pydantic", "pydantic_core", "yaml"})}
seen["equal_to_a_fresh_load"] = corpus == load(Path(sys.argv[2]))[0]
print(json.dumps(seen))
"""


def test_a_pickled_corpus_is_equal_to_the_original_and_writes_the_same_yaml():
    corpus, _ = load(SOURCES)
    assert corpus is not None
    again = pickle.loads(pickle.dumps(corpus))
    assert again == corpus
    huvud = corpus.document("huvudavtal").source
    assert again.document("huvudavtal").source is not huvud
    assert dump_document(again.document("huvudavtal").source) == dump_document(huvud)


def test_a_corpus_unpickled_in_a_fresh_process_needs_neither_pydantic_nor_yaml(tmp_path):
    corpus, _ = load(SOURCES)
    assert corpus is not None
    (tmp_path / "corpus.pickle").write_bytes(pickle.dumps(corpus))
    result = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "corpus.pickle"), str(SOURCES)],
                            capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert seen["imported"] == []
    assert seen["reprs"] == {d.id: repr(d.source) for d in corpus.documents}
    assert seen["labels"] == [c.label for d in corpus.documents for c in d.clauses()]
    assert seen["terms"] == [t.source.term for t in corpus.terms]
    assert seen["equal_to_a_fresh_load"] is True
