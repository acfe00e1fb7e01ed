"""The ESIGN Act disclosure (15 U.S.C. §7001(c)) a signer reads and accepts before signing
electronically. Its version and SHA-256 are recorded with every signature; changing the text
means a new version, so what each signer accepted can always be shown word for word."""

from __future__ import annotations

import hashlib

CONSENT_VERSION = "2026-12"
# One paragraph per line (no wrapping inside a sentence), so the page can wrap it to any width.
CONSENT_TEXT = (
    "\n\n".join(
        [
            "Consent to electronic records and signatures",
            "Before you sign electronically, please read this.",
            "1. You agree to receive the documents of your move (order for service, bill of lading, "
            "inventory, valuation election, receipts) electronically and to sign them electronically. "
            "Your electronic signature has the same effect as your signature on paper.",
            "2. You may instead ask for paper documents and sign them by hand, at no charge: tell the "
            "crew or the office. You may withdraw this consent at any time by telling the office; "
            "documents signed before you withdraw it stay signed.",
            "3. This consent covers the documents of this move only.",
            "4. You will receive a copy of each signed document by e-mail or in your customer portal, "
            "and you may ask the office for a paper copy at no charge.",
            "5. To open the documents you need a device that shows PDF files and an e-mail address or "
            "a phone that receives text messages. If these requirements change, we will tell you.",
            "6. To update your e-mail address or phone number, tell the office.",
            "By ticking the box you confirm that you can open this PDF document and that you consent.",
        ]
    )
    + "\n"
)
CONSENT_SHA256 = hashlib.sha256(CONSENT_TEXT.encode()).hexdigest()
