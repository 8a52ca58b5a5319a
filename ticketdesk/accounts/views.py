"""My accounts, an account's recovery history, and the outcome report."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
