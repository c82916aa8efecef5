from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "chat"

urlpatterns: list[URLPattern | URLResolver] = [
    path("chat/widget.js", views.widget_js, name="widget_js"),
    path("chat/config", views.widget_config, name="config"),
    path("chat/demo/", views.demo, name="demo"),
    path("agent/chat/<int:ticket_id>/reply/", views.agent_reply, name="agent_reply"),
    path("agent/chat/<int:ticket_id>/end/", views.agent_end, name="agent_end"),
]
