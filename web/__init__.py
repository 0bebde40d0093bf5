"""The composition root: the FastAPI app factory, authentication (login, sessions, bearer tokens),
the routers of every package, the page shell and its static assets, the `giaoban` command line and
the process supervisor behind `giaoban up`. No other package imports it."""
