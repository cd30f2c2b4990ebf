"""Reading input files: encodings detected (not mangled), bad files refused with one clear line."""

from __future__ import annotations

import pytest

from assistant.config import MB, Settings
from assistant.errors import SourceError
from assistant.ingest.sources import expand_paths, read_source

RUSSIAN = "Брифинг официального представителя МИД России М.В.Захаровой, Москва, 10 ноября 2021 года.\n" * 20
LIMIT = MB  # 1 MB as the upload box counts it


def test_utf8_with_bom(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("\ufeffBriefing — “quoted”\n".encode("utf-8"))
    doc = read_source(p, LIMIT)
    assert doc.encoding == "utf-8" and doc.text.startswith("\ufeffBriefing — “quoted”") is False
    assert "“quoted”" in doc.text


@pytest.mark.parametrize("encoding", ["cp1251", "koi8-r", "utf-16"])
def test_other_encodings_are_detected(tmp_path, encoding):
    p = tmp_path / f"ru-{encoding}.txt"
    p.write_bytes(RUSSIAN.encode(encoding))
    doc = read_source(p, LIMIT)
    assert doc.text.strip() == RUSSIAN.strip()


def test_latin1_text(tmp_path):
    text = "Réunion du Conseil à Genève : déclaration du ministère, été 2021.\n" * 30
    p = tmp_path / "fr.txt"
    p.write_bytes(text.encode("latin-1"))
    assert read_source(p, LIMIT).text.strip() == text.strip()


@pytest.mark.parametrize("name,content,problem", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n \t\n", "empty file"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary file"),
    ("broken.txt", "Naïve café “quotes” — dashes ".encode() * 50 + b"\xff\xfe\xfa" + "more ’text’".encode() * 10,
     "undecodable bytes: invalid UTF-8 at byte"),
])
def test_bad_files_get_one_clear_line(tmp_path, name, content, problem):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(SourceError) as err:
        read_source(p, LIMIT)
    message = str(err.value)
    assert message.startswith(f"{p}: ") and problem in message and "\n" not in message


def test_the_ingestor_and_the_upload_box_count_a_megabyte_alike(tmp_path):
    """A file of exactly the limit shown in the upload box (Gradio counts 1 MB = 1,048,576 bytes)
    is accepted by the ingestor too; one byte more is refused."""
    settings = Settings(index_dir=tmp_path / "ix", max_file_mb=1, _env_file=None)
    at_limit = tmp_path / "at.txt"
    at_limit.write_bytes(b"word " * (MB // 5) + b"w" * (MB % 5))
    assert read_source(at_limit, settings.ingest.max_file_bytes).text
    at_limit.write_bytes(at_limit.read_bytes() + b"w")
    with pytest.raises(SourceError, match="over the 1.0 MB limit"):
        read_source(at_limit, settings.ingest.max_file_bytes)


def test_size_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("word " * 300_000)
    with pytest.raises(SourceError, match=r"big.txt: file is 1.4 MB, over the 1.0 MB limit"):
        read_source(p, LIMIT)


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        read_source(tmp_path / "nope.txt", LIMIT)


def test_html_is_recognised(tmp_path):
    p = tmp_path / "page.txt"
    p.write_text("<!DOCTYPE html><html><body><p>Hi</p></body></html>")
    assert read_source(p, LIMIT).is_html


def test_expand_paths(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("x")
    (tmp_path / "d" / "sub" / "b.html").write_text("x")
    (tmp_path / "d" / "photo.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "d" / ".hidden.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    files, errors = expand_paths([tmp_path / "d", tmp_path / "d" / "a.txt", tmp_path / "missing", tmp_path / "empty"])
    assert [f.name for f in files] == ["a.txt", "b.html"]  # folder walked once, duplicates dropped
    assert sorted(e.problem for e in errors) == ["folder has no .txt/.html/.md files", "no such file or folder"]
