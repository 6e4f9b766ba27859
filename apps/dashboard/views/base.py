"""What every page shares: sign-in required, the navigation, domain errors shown as
messages, and the 403 a user gets for an action their roles do not allow."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy

from .. import access
from ..nav import items_for

LOGIN_URL = reverse_lazy("dashboard:login")
PAGE_SIZE = 50


def page(view):
    """A dashboard page: requires a signed-in user (else the sign-in form)."""
    return login_required(view, login_url=LOGIN_URL)


def render_page(request, template: str, context: dict[str, Any] | None = None, status: int = 200):
    context = dict(context or {})
    context.setdefault("nav", items_for(request))
    return render(request, template, context, status=status)


def requires(verb: str, resource: str):
    """403 unless the user holds `verb` on `resource` in at least one pack; views
    check the object's own pack themselves."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            access.require(request.user, verb, resource)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("dashboard:overview")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("dashboard:login")
