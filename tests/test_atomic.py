"""Atomic writes: a failed write leaves the old file and no temporary file behind."""

import errno
import os
import stat
import threading

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


# --- what the path names decides how it is written (issue 11, item 7) --------------------


def test_a_symlink_is_written_through_to_its_target_and_stays_a_link(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.csv", "real.csv"]


def test_a_chain_of_links_and_a_relative_link_reach_the_final_file(tmp_path):
    (tmp_path / "d").mkdir()
    final = tmp_path / "d" / "final.txt"
    final.write_text("old")
    (tmp_path / "middle").symlink_to("d/final.txt")  # relative to the link's folder
    (tmp_path / "first").symlink_to(tmp_path / "middle")
    atomic_write_text(tmp_path / "first", "new")
    assert final.read_text() == "new"
    assert (tmp_path / "first").is_symlink() and (tmp_path / "middle").is_symlink()


def test_a_dangling_link_creates_its_target_if_the_folder_exists(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "made.txt")
    atomic_write_text(link, "hello")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "hello"
    lost = tmp_path / "lost"
    lost.symlink_to(tmp_path / "nowhere" / "x.txt")
    with pytest.raises(FileNotFoundError, match="nowhere") as e:
        atomic_write_text(lost, "x")
    assert e.value.filename == str(lost) and lost.is_symlink()


def test_a_fifo_is_written_directly_and_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    data = bytes(range(256)) * 1000  # more than a pipe's buffer: written in pieces
    atomic_write_bytes(fifo, data)
    reader.join(timeout=30)
    assert got == [data]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not a regular file
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_link_to_a_fifo_writes_into_the_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "out").symlink_to(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_write_text(tmp_path / "out", "through")
    reader.join(timeout=30)
    assert got == [b"through"] and (tmp_path / "out").is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_is_written_directly_and_a_full_one_is_named(tmp_path, monkeypatch):
    # a "device": a regular file that stat reports as a character device, so that no real
    # device is ever written; a full disk on it must name the user's path
    dev = tmp_path / "device"
    dev.write_bytes(b"")
    real_stat = os.stat

    def as_device(p, *args, **kwargs):
        st = real_stat(p, *args, **kwargs)
        if os.fspath(p) == str(dev):
            return os.stat_result((stat.S_IFCHR | 0o666, *st[1:]))
        return st

    monkeypatch.setattr(os, "stat", as_device)
    inode = real_stat(dev).st_ino
    atomic_write_text(dev, "direct")
    assert dev.read_text() == "direct" and real_stat(dev).st_ino == inode  # same file: not renamed
    assert os.listdir(tmp_path) == ["device"]

    real_open = open

    def full(file, *args, **kwargs):
        f = real_open(file, *args, **kwargs)
        if os.fspath(file) == str(dev):

            class Full:
                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    f.close()

                def write(self, b):
                    raise OSError(errno.ENOSPC, "No space left on device")

            return Full()
        return f

    monkeypatch.setattr("builtins.open", full)
    with pytest.raises(OSError, match="No space left") as e:
        atomic_write_text(dev, "more")
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(dev)


def test_errors_name_the_users_file_not_the_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    with pytest.raises(OSError) as e:
        atomic_write_text(target, "x")
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(target)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(args[0]))

    monkeypatch.setattr(os, "open", refused)  # as in a read-only folder: the temporary file cannot be made
    with pytest.raises(PermissionError) as e:
        atomic_write_text(target, "x")
    assert e.value.filename == str(target) and ".tmp" not in str(e.value)


def test_a_directory_is_refused_by_name(tmp_path):
    with pytest.raises(IsADirectoryError) as e:
        atomic_write_text(tmp_path, "x")
    assert e.value.filename == str(tmp_path)


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "secret.json"
    target.write_text("old")
    target.chmod(0o600)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
