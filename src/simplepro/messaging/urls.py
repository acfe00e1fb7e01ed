from django.urls import path

from simplepro.messaging import views

urlpatterns = [
    path("", views.ConversationListView.as_view(), name="conversation-list"),
    path("direct/", views.DirectOpenView.as_view(), name="conversation-direct"),
    path("team/", views.TeamCreateView.as_view(), name="conversation-team"),
    path("job/<uuid:job_id>/", views.JobThreadView.as_view(), name="job-conversation"),
    path("customer/<uuid:customer_id>/", views.CustomerThreadView.as_view(),
         name="customer-conversation"),
    path("<uuid:conversation_id>/", views.ConversationView.as_view(), name="conversation"),
    path("<uuid:conversation_id>/post/", views.MessagePostView.as_view(), name="conversation-post"),
    path("<uuid:conversation_id>/file/", views.UnmatchedFileView.as_view(), name="conversation-file"),
]  # fmt: skip
