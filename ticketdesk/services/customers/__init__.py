"""Customers, their contacts, and the orders we hold for them.

``customers`` (customers and contacts), ``orders`` (purchase history and its CSV import).
"""
