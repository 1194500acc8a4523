"""Atomic writes: a failed write leaves the old file and no temporary file behind."""

import os

import pytest

from micrograd.atomic import atomic_write_bytes, atomic_write_text


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    atomic_write_text(target, "old")
    assert target.read_text() == "old"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["page.html"]  # no temporary file left behind


def test_bytes_arrive_whole_and_a_missing_directory_is_named(tmp_path):
    atomic_write_bytes(tmp_path / "b.bin", bytes(range(256)))
    assert (tmp_path / "b.bin").read_bytes() == bytes(range(256))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "missing" / "b.bin", b"x")
    assert os.listdir(tmp_path) == ["b.bin"]


def test_the_old_module_name_keeps_working():
    from micrograd import io, modelfile

    assert io.atomic_write_text is atomic_write_text and io.save_model is modelfile.save_model
    assert io.load_model is modelfile.load_model and io.ModelFileError is modelfile.ModelFileError
