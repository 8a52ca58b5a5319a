from ticketdesk import create_app

app = create_app()
