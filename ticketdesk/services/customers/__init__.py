"""Customers, their contacts, and the orders we hold for them.

Below: ``people``, ``timeline``. The other packages call:

- ``customers``: commit (one transaction each) ``create_customer``, ``update_customer``,
  ``add_contact``, ``update_contact``; inside the caller's transaction ``new_customer``,
  ``new_contact`` and ``match_sender`` (who a complaint is filed under; may add both, for
  intake, received mail and review); reads ``get_customer``, ``get_contact``,
  ``list_customers``, ``customer_choices``, ``account_manager_choices``, ``tier_history``,
  ``standing_history``, ``authority_tier``, ``authority_window_start``,
  ``language_codes``, ``escape_like``.
- ``orders``: commit ``add_order``, ``delete_order``, ``import_csv``; reads ``get_order``,
  ``list_orders``, ``count_orders``, ``revenue``, ``last_twelve_months``,
  ``remedy_tickets``.
"""
