"""What every view of the agents' API (/api/v1/ on an authority's host) shares, whichever
app serves it: one error format (errors.py), a schema that lists each operation's error
answers (schema.py), and the mixin that gives a view both plus the input rules
(views.py). The URLs themselves are composed by exchange/listings/api/urls.py."""
