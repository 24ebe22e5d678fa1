"""One package per screen: its views, read queries and forms. A screen never imports another screen."""
