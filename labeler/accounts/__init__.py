"""Accounts: users, password hashes, roles, login sessions and the demo accounts.

- ``auth``: Local accounts: usernames, argon2 password hashes, roles and the permission check.
- ``demo_users``: Documented demo accounts ("annotator", "reviewer", "lead") for demo projects only.
- ``login_sessions``: Logins that survive a browser refresh: a random token in the URL, its hash in
  the database.
- ``throttle``: Throttling wrong passwords, per account and per client: a growing wait, then a
  lockout.
"""
