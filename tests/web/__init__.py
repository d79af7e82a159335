"""The web page: routes, security, and the page in Chromium."""
