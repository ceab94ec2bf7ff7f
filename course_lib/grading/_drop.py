"""Become an unprivileged user, then ``exec`` a command.

    python -I -S _drop.py UID WORK -- python -m ipykernel_launcher -f CONNECTION_FILE ...
    python -I -S _drop.py UID - -- python driver.py WORK

It drops every supplementary group, becomes ``UID``:``UID`` (all capabilities go
with root), refuses ``AF_UNIX`` sockets from then on (``_seccomp``) and ``exec``s
the command. Two users:

- the container fallback's kernelspec: the driver runs as root and the kernel must
  not. The connection file (root's, mode 0600) is read first and written again in
  ``WORK`` as the new user, and the kernel is started on the copy;
- bwrap started by root: bwrap sets up the mounts as root (so an interpreter under
  ``/root`` can be bound) and this makes the driver an unprivileged uid, so that the
  process limit applies.

Nothing of the package is imported: this runs before the learner's code and stays small.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _seccomp  # noqa: E402


def main(argv: list[str]) -> None:
    uid, work, sep, cmd = int(argv[0]), argv[1], argv[2], list(argv[3:])
    if sep != "--" or uid == 0 or not cmd or (work != "-" and "-f" not in cmd):
        raise SystemExit("usage: _drop.py UID WORK|- -- COMMAND (with -f CONNECTION_FILE unless WORK is -)")
    connection = None
    if work != "-":
        i = cmd.index("-f") + 1
        with open(cmd[i], "rb") as fh:
            connection = fh.read()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("could not drop privileges")
    _seccomp.install()
    if connection is not None:
        copy = os.path.join(work, ".kernel-connection.json")
        try:
            os.unlink(copy)
        except FileNotFoundError:
            pass
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(connection)
        cmd[i] = copy
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])
