from django.urls import path

from simplepro.documents import views

urlpatterns = [
    path("", views.DocumentListView.as_view(), name="document-list"),
    path("upload/", views.DocumentUploadView.as_view(), name="document-upload"),
    path("<uuid:document_id>/versions/", views.DocumentVersionView.as_view(),
         name="document-version"),
    path("<uuid:document_id>/v<int:number>/", views.DocumentDownloadView.as_view(),
         name="document-download"),
    path("<uuid:document_id>/share/", views.DocumentShareView.as_view(), name="document-share-create"),
    path("<uuid:document_id>/share/<uuid:link_id>/revoke/", views.DocumentShareRevokeView.as_view(),
         name="document-share-revoke"),
    path("<uuid:document_id>/archive/", views.DocumentArchiveView.as_view(),
         name="document-archive"),
]  # fmt: skip
