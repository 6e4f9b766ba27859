"""The ``attune`` command line.

The commands in this release work offline, with no server and no database:
``attune expr``, ``attune rule test``, ``attune workflow simulate|validate``.
Nothing here sets Django up; command modules import the pure engine modules
(``apps.core.expressions``, ``apps.automation.criteria``, ``apps.workflows``)
inside the commands, so ``attune --help`` stays fast. See docs/cli.md.
"""
