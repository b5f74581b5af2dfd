"""The peer's status page and the employers' verification page: static HTML, CSS and JS, no build step."""
