"""Registers the built-in runners (called from ExecutionsConfig.ready()). Higher apps
(workflows, inquiries) register theirs in their own ready()."""

from .base import register
from .http import HttpRunner
from .local import ProcessRunner
from .noop import NoopRunner


def register_builtin() -> None:
    register(ProcessRunner("shell", "runtime.shell"), aliases=("local-shell-cmd", "local-shell-script", "bash", "sh"))
    register(ProcessRunner("python", "runtime.python"), aliases=("python-script", "python3"))
    register(ProcessRunner("node", "runtime.node"), aliases=("nodejs", "node.js"))
    register(ProcessRunner("native", "runtime.native"), aliases=("builtin", "standalone", "binary"))
    register(HttpRunner(), aliases=("http-request",))
    register(NoopRunner())
