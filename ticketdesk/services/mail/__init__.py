"""The e-mail channel: what the customer receives, and what the desk receives from them.

``parse`` reads one raw message into a ``ParsedMail``; ``inbound`` stores each message
received once and acts on it (a new ticket, a message on one, a bounce, or held for an
admin); ``outgoing`` writes the customer's e-mails into the outbox; ``imap`` fetches the
desk's mailbox.
"""
