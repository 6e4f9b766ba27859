from django.apps import AppConfig


class AttuneConfig(AppConfig):
    """The project package as an app only to host the commands that compose every
    role: `up` (the embedded default) and `scheduler`."""

    name = "attune"
    label = "attune"
    verbose_name = "Attune"
