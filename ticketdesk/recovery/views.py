"""Recovery rules (team leads and admins) and the loyalty follow-up page."""

from flask import Blueprint

bp = Blueprint("recovery", __name__)
