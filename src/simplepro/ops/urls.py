from django.urls import path

from simplepro.ops import views

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
]
