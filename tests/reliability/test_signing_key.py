"""The workspace's signing key: an empty or short key file is replaced (else download signatures are forgeable),
several workers starting at once end with one key, and filesystems without hard links work."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import pytest
import requests

from local_workspace import signing
from local_workspace.launcher import start_workspace

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a workspace of its own
def test_an_empty_key_file_does_not_make_downloads_forgeable(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / signing.KEY_FILE_NAME).write_bytes(b"")  # e.g. a disk that filled up while the key was written
    forged = signing.sign_download(b"", "m", "1", "MLmodel")
    ws = start_workspace(data_dir, workspace_dir=REPO_ROOT)
    try:
        answer = requests.get(f"{ws.url}{signing.SIGNED_DOWNLOAD_PATH}?{urlencode(forged)}", timeout=30)
        assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    finally:
        ws.stop()
    assert len((data_dir / signing.KEY_FILE_NAME).read_bytes()) >= signing.KEY_BYTES


@pytest.mark.parametrize("existing", [None, b"", b"short"])
def test_workers_starting_at_once_agree_on_one_full_key(tmp_path, existing):
    if existing is not None:
        (tmp_path / signing.KEY_FILE_NAME).write_bytes(existing)
    script = "import sys; from pathlib import Path; from local_workspace import signing; "
    script += "sys.stdout.write(signing.load_key(Path(sys.argv[1])).hex())"
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {worker.communicate(timeout=120)[0] for worker in workers}
    assert all(worker.returncode == 0 for worker in workers)
    assert len(keys) == 1
    key = bytes.fromhex(keys.pop())
    assert len(key) >= signing.KEY_BYTES and (tmp_path / signing.KEY_FILE_NAME).read_bytes() == key
    assert (tmp_path / signing.KEY_FILE_NAME).stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("code", [errno.EPERM, errno.ENOTSUP, errno.EXDEV])
def test_key_is_created_on_a_filesystem_without_hard_links(tmp_path, code):
    with mock.patch("os.link", side_effect=OSError(code, "no hard links here")):
        key = signing.load_key.__wrapped__(tmp_path)
    assert len(key) >= signing.KEY_BYTES and (tmp_path / signing.KEY_FILE_NAME).read_bytes() == key
    assert signing.load_key.__wrapped__(tmp_path) == key  # kept, not regenerated
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(signing.KEY_FILE_NAME)) == [
        signing.KEY_FILE_NAME,
        signing.KEY_FILE_NAME + ".lock",
    ]  # no temporary file left behind
