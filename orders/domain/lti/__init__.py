"""Inside the LMS (LTI 1.3, docs/spec.md §9).

Connections, the tool's keys, nonces and launches, people, course links, rosters.
Knows no request: the pylti1p3 adapters that need Flask's request live in orders.web.lti.
"""
