"""The Courses screen, home after sign-in."""
