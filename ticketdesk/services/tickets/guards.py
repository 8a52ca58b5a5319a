"""Guards on what staff write: no proof demanded on small claims, no labels on customers."""

import re

# Words that ask the customer to prove their claim, in English and Chinese.
PROOF_TERMS_EN = (
    "proof",
    "prove",
    "evidence",
    "photo",
    "photos",
    "picture",
    "pictures",
    "receipt",
    "receipts",
    "screenshot",
    "screenshots",
    "invoice copy",
)
PROOF_TERMS_ZH = ("证明", "照片", "凭证", "截图", "发票", "拍照", "证据")

# Labels that judge the customer instead of describing facts ("business, not personal").
PEJORATIVE_EN = (
    "unreasonable",
    "difficult",
    "annoying",
    "crazy",
    "stupid",
    "idiot",
    "liar",
    "lying",
    "troublemaker",
    "nightmare",
    "rude",
    "greedy",
    "impossible",
    "nutcase",
    "whiner",
)
PEJORATIVE_ZH = (
    "无理取闹",
    "难缠",
    "刁难",
    "骗子",
    "胡搅蛮缠",
    "奇葩",
    "事儿多",
    "找茬",
    "难伺候",
    "神经病",
)


def _find(text: str, english: tuple[str, ...], chinese: tuple[str, ...]) -> list[str]:
    """Terms found in ``text``: English as whole words (any case), Chinese as substrings."""
    found: list[str] = []
    lowered = (text or "").lower()
    for term in english:
        if re.search(r"\b" + re.escape(term) + r"\b", lowered) and term not in found:
            found.append(term)
    for term in chinese:
        if term in (text or "") and term not in found:
            found.append(term)
    return found


def proof_requests(text: str) -> list[str]:
    """Words in a reply that ask the customer for proof."""
    return _find(text, PROOF_TERMS_EN, PROOF_TERMS_ZH)


def pejorative_terms(text: str) -> list[str]:
    """Judgemental labels about the customer found in ``text``."""
    return _find(text, PEJORATIVE_EN, PEJORATIVE_ZH)
