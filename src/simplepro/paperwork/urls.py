from django.urls import path

from simplepro.paperwork import views

# Under /jobs/<job id>/paperwork/
job_urls = [
    path("", views.JobPaperworkView.as_view(), name="job-paperwork"),
    path("print/", views.PaperworkPrintView.as_view(), name="paperwork-print"),
    path("conditions/", views.ConditionNoteView.as_view(), name="paperwork-condition"),
    path("booklet/", views.BookletView.as_view(), name="paperwork-booklet"),
    path("paper/", views.PaperSignoffView.as_view(), name="paperwork-paper"),
]

# Under /paperwork/
urlpatterns = [
    path("<uuid:document_id>/sign/", views.SignView.as_view(), name="paperwork-sign"),
    path("signatures/<uuid:signature_id>/", views.SignatureVerifyView.as_view(),
         name="paperwork-signature"),
    path("verify/", views.VerifyCopyView.as_view(), name="paperwork-verify"),
]  # fmt: skip
