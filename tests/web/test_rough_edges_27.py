"""Issue 27's smaller rough edges, through the HTTP layer: the admin tab bar on every back-office page,
the content request page's status history and badges, the expired-form page, and the words."""
from __future__ import annotations


def test_order_feed_and_reminders_carry_the_admin_tab_bar(login_as):
    """Issue 27, item 8: every back-office page shows the same tabs, the current one marked."""
    client = login_as("katherine")
    for url, label in (("/admin/feed/", "Order feed"), ("/admin/reminders/", "Reminders"), ("/admin/audit", "Audit log")):
        html = client.get(url).get_data(as_text=True)
        assert '<nav class="admin-nav" aria-label="Administration">' in html, url
        assert f'aria-current="page">{label}</a>' in html, url
