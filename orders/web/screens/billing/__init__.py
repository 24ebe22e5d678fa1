"""Back office: the student billing feed download."""
