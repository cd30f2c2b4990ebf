"""The registry records the embedder variant the vectors were made with; another embedder is
refused ("re-embed needed: built with X, this embedder is Y; run: briefing-assistant check
--repair") instead of mixing vectors, and ``check --repair`` re-embeds everything from the
parsed texts."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import IndexDamaged
from assistant.ingest.ingestor import Ingestor
from assistant.store.index import Index, open_parts
from assistant.store.registry import embedder_variant
from assistant.store.repair import repair_index, run_check
from assistant.text import terms

from .conftest import SAMPLE
from .fakes import HashEmbedder

QUESTION = "How many passports were issued in Afghanistan in one month?"


class VariantEmbedder(HashEmbedder):
    """The same model name, another backend: its vectors differ (here: rotated)."""

    variant = "hash-embedder/int8/ab12cd34"

    def encode(self, texts, batch_size=64):
        return np.roll(super().encode(texts, batch_size), 7, axis=1)


class SmallEmbedder(HashEmbedder):
    """Another model, with vectors of another dimension (the collection must be made anew)."""

    name = "small-hash"
    dim = 96


def test_variant_falls_back_to_the_name():
    assert embedder_variant(HashEmbedder()) == "hash-embedder"
    assert embedder_variant(VariantEmbedder()) == "hash-embedder/int8/ab12cd34"


def test_the_registry_records_the_variant(settings):
    index = Index(settings, VariantEmbedder())
    assert Ingestor(index, settings).ingest([SAMPLE], show_progress=False).ok
    assert index.snapshot.registry.embed_model == "hash-embedder/int8/ab12cd34"


@pytest.mark.parametrize("other", [VariantEmbedder, SmallEmbedder])
def test_another_embedder_is_refused_and_repair_reembeds_everything(sample_index, settings, other):
    root = settings.store.index_dir
    embedder = other()
    variant = embedder_variant(embedder)
    with pytest.raises(IndexDamaged) as refused:
        Index(settings, embedder)  # readers and ingest alike
    assert str(refused.value) == (f"{root}: re-embed needed: built with hash-embedder, this embedder is {variant}; "
                                  f"run: briefing-assistant check --repair")
    parts = open_parts(settings, embedder)
    assert [p.part for p in run_check(parts).problems if p.fatal] == ["embedder"]

    actions, report = repair_index(parts, settings, embedder)
    total = len(sample_index)
    assert report.ok and not report.problems, report.lines()
    assert any("re-embedding everything: built with hash-embedder" in a for a in actions)
    assert embedder.encoded == total  # every chunk once, from the parsed texts

    index = Index(settings, other())
    assert index.snapshot.registry.embed_model == variant
    stored = index.collection().get(include=["embeddings"], limit=total + 10)
    assert len(stored["ids"]) == total
    first = index.chunk(stored["ids"][0])
    assert np.allclose(stored["embeddings"][0], other().encode([first.embed_text])[0], atol=1e-5)
    hits = index.dense_search(other().encode([QUESTION])[0], 5)
    assert "Update on Afghanistan" in {index.chunk(h.chunk_id).section_title for h in hits}
    assert index.bm25_search(terms(QUESTION), 3)
    # and the files are current for this embedder: ingesting them again embeds nothing
    again = Ingestor(index, settings).ingest([SAMPLE], show_progress=False).results[0]
    assert again.status == "unchanged" and again.embedded == 0


def test_an_empty_index_takes_any_embedder(settings):
    Index(settings, HashEmbedder())
    index = Index(settings, VariantEmbedder())  # nothing embedded yet: nothing to mix
    assert Ingestor(index, settings).ingest([SAMPLE], show_progress=False).ok
    assert index.snapshot.registry.embed_model == VariantEmbedder.variant
