"""The ``attune`` command line.

Remote commands speak HTTP to the REST API (client.py: profiles, token refresh,
errors; common.py: ``-o``/``--field``; one module per group of commands). The
offline commands (``attune expr``, ``attune rule test``, ``attune workflow
simulate|validate``) import the pure engine modules (``apps.core.expressions``,
``apps.automation.criteria``, ``apps.workflows``) inside the commands. Nothing here
sets Django up, so ``attune --help`` stays fast. See docs/cli.md.
"""
