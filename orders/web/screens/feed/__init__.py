"""Back office: the order feed download."""
