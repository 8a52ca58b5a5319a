"""The desk's settings, for a checkout: ``from config import ProductionConfig`` keeps working.

The classes live in ``ticketdesk/settings.py`` so that an installed wheel carries them;
this module only re-exports them. Choose one with ``TICKETDESK_CONFIG`` (see README,
Configuration) or pass a class to ``ticketdesk.create_app``.
"""

from ticketdesk.settings import (
    CONFIGS,
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
)

__all__ = ["CONFIGS", "Config", "DevelopmentConfig", "ProductionConfig", "TestingConfig"]
