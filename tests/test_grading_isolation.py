"""The isolation pieces of the grader (course_lib/grading/_isolation.py) that need no sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# Run in a child with a uid range of its own, so that cleaning up a leased uid can
# never touch the kernels of a grader running on this machine meanwhile.
LEASE_TWICE = textwrap.dedent("""
    import os, tempfile
    from course_lib.grading import _isolation as iso
    os.environ["TMPDIR"] = {a!r}; tempfile.tempdir = None
    with iso.lease_uid() as first:
        os.environ["TMPDIR"] = {b!r}; tempfile.tempdir = None
        with iso.lease_uid() as second:
            print(first, second)
""")


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are leased only when the grader runs as root")
def test_graders_with_their_own_tmpdir_never_share_a_uid(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    env = {**os.environ, "COURSE_GRADING_UID_BASE": "91000"}
    code = LEASE_TWICE.format(a=str(tmp_path / "a"), b=str(tmp_path / "b"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    first, second = map(int, out.stdout.split())
    assert 91000 <= first < second
