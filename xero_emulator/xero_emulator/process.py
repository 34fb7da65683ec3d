"""The bundled emulator as a separate process on loopback: the one helper that starts it for the
Odoo tests, the demo, the bench and the screenshots (`python -m xero_emulator`)."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

#: The package's project folder: on the process's ``PYTHONPATH``, so ``-m xero_emulator`` finds
#: this copy whether or not it was installed with pip.
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_free(port, host="127.0.0.1"):
    """True when nothing listens on ``port`` now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _with_project_path(env):
    """``env`` with this package's project folder first on ``PYTHONPATH``."""
    path = [PROJECT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(env, PYTHONPATH=os.pathsep.join(path))


class EmulatorProcess:
    """``python -m xero_emulator`` on a free loopback port (or ``port``), started and waited for.

    ``args``: the emulator's own options (``--base-currency USD``, ``--state FILE``...); ``env``:
    the process's environment (this one's by default). ``url`` is the API, identity and login
    URL at once.
    Stopped by :meth:`stop`, or at the end of a ``with`` block.
    """

    def __init__(self, *args, host="127.0.0.1", port=None, env=None, timeout=20):
        if port and not port_free(port, host):
            # Another server there would answer the readiness check below in this one's place.
            raise RuntimeError("port %d on %s is in use" % (port, host))
        self.port = port or free_port(host)
        self.url = "http://%s:%d" % (host, self.port)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xero_emulator", "--host", host, "--port", str(self.port)]
            + list(args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_with_project_path(os.environ if env is None else env),
        )
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(self.url + "/_emulator/state", timeout=2).close()
                return
            except (OSError, urllib.error.URLError):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the Xero emulator did not start") from None
                time.sleep(0.1)

    def stop(self):
        """Stop the process (safe to call twice)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
