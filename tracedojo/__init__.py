"""The tracedojo platform: web app, database, grading queue and command line."""
