from django.urls import path

from .views import actions, automation, executions, keys, overview, packs
from .views.base import LoginView, LogoutView

app_name = "dashboard"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("executions/", executions.execution_list, name="executions"),
    path("executions/rows/", executions.execution_rows, name="execution-rows"),
    path("executions/<int:pk>/", executions.execution_detail, name="execution"),
    path("executions/<int:pk>/row/", executions.execution_row, name="execution-row"),
    path("executions/<int:pk>/summary/", executions.execution_summary, name="execution-summary"),
    path("executions/<int:pk>/graph/", executions.execution_graph, name="execution-graph"),
    path("executions/<int:pk>/output/", executions.execution_output, name="execution-output"),
    path("executions/<int:pk>/cancel/", executions.execution_cancel_view, name="execution-cancel"),
    path("executions/<int:pk>/pause/", executions.execution_pause_view, name="execution-pause"),
    path("executions/<int:pk>/resume/", executions.execution_resume_view, name="execution-resume"),
    path("executions/<int:pk>/re-run/", executions.execution_rerun_view, name="execution-rerun"),
    path("actions/", actions.action_list, name="actions"),
    path("actions/<str:ref>/", actions.action_detail, name="action"),
    path("rules/", automation.rule_list, name="rules"),
    path("rules/<str:ref>/", automation.rule_detail, name="rule"),
    path("rules/<str:ref>/enable/", automation.rule_switch, {"enabled": True}, name="rule-enable"),
    path("rules/<str:ref>/disable/", automation.rule_switch, {"enabled": False}, name="rule-disable"),
    path("triggers/", automation.trigger_list, name="triggers"),
    path("events/<int:pk>/", automation.event_detail, name="event"),
    path("enforcements/", automation.enforcement_list, name="enforcements"),
    path("packs/", packs.pack_list, name="packs"),
    path("packs/register/", packs.pack_register_view, name="pack-register"),
    path("packs/upload/", packs.pack_upload_view, name="pack-upload"),
    path("packs/<str:ref>/", packs.pack_detail, name="pack"),
    path("keys/", keys.key_list, name="keys"),
    path("keys/<int:pk>/decrypt/", keys.key_decrypt_view, name="key-decrypt"),
]
