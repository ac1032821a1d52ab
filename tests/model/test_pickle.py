"""A loaded Corpus survives pickling, also in a process that never validated a source.

The source models defer building their pydantic schemas to first use (`defer_build`), so a process
that only unpickles a Corpus (a load cache) never builds them: reading fields, comparing and
`model_dump_json` must still work there, and give what the loading process had.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

from avtal.model import load
from tests.conftest import SOURCES

# Unpickles first (nothing validated yet in this process), then loads the sources itself to compare.
PROBE = """
import json, pickle, sys
from pathlib import Path
from avtal.model import load, schema
corpus = pickle.loads(Path(sys.argv[1]).read_bytes())
built_before = schema.Document.__pydantic_complete__
seen = {"dumps": {d.id: d.source.model_dump_json() for d in corpus.documents},
        "labels": [c.label for d in corpus.documents for c in d.clauses()],
        "terms": [t.source.term for t in corpus.terms],
        "built_before_use": built_before}
seen["equal_to_a_fresh_load"] = corpus == load(Path(sys.argv[2]))[0]
print(json.dumps(seen))
"""


def test_a_pickled_corpus_is_equal_to_the_original():
    corpus, _ = load(SOURCES)
    assert corpus is not None
    again = pickle.loads(pickle.dumps(corpus))
    assert again == corpus
    huvud = corpus.document("huvudavtal").source
    assert again.document("huvudavtal").source.model_dump_json() == huvud.model_dump_json()


def test_a_corpus_unpickled_in_a_fresh_process_reads_and_dumps_as_the_original(tmp_path):
    corpus, _ = load(SOURCES)
    assert corpus is not None
    (tmp_path / "corpus.pickle").write_bytes(pickle.dumps(corpus))
    result = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "corpus.pickle"), str(SOURCES)],
                            capture_output=True, text=True, check=True)
    seen = json.loads(result.stdout)
    assert seen["built_before_use"] is False  # unpickling built no schema
    assert seen["dumps"] == {d.id: d.source.model_dump_json() for d in corpus.documents}
    assert seen["labels"] == [c.label for d in corpus.documents for c in d.clauses()]
    assert seen["terms"] == [t.source.term for t in corpus.terms]
    assert seen["equal_to_a_fresh_load"] is True
