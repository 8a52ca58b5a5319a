import gc

from ticketdesk import create_app

app = create_app()

# What the app holds from start-up lives for the whole process: keep it out of the
# garbage collector's full passes, which would otherwise walk those ~130,000 objects
# again and again and add 60-80 ms pauses to requests that allocate a lot.
gc.freeze()
