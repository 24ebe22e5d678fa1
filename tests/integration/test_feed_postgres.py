"""Two machines running the delta at once on PostgreSQL: a window is claimed, and reported, once."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from orders.cli.feed import export
from orders.domain.feed.export import WindowTaken, plan_delta
from orders.domain.lookups import find_term
from orders.domain.models import FeedRun
from orders.extensions import db
from tests import feed_story as story
from tests.feed_story import SPRING, at
from tests.helpers import require_postgres
from tests.integration.test_order_races import run_together

pytestmark = pytest.mark.postgres


@pytest.fixture
def frozen_demo(app):
    with app.app_context():
        story.load_frozen_demo()
        db.session.remove()


def _outcome(app, out_dir, now, barrier_after_plan=None):
    """One machine's run: plan (reads the previous window end), then claim, write, commit."""
    with app.app_context():
        try:
            plan = plan_delta(find_term(SPRING), now)
            if barrier_after_plan is not None:
                barrier_after_plan.wait(timeout=30)
            result = export(plan, str(out_dir))
            return ("wrote", plan.window_start) if result.path else ("nothing", plan.window_start)
        except WindowTaken:
            return ("taken", None)
        finally:
            db.session.remove()


def test_two_runs_that_read_the_same_window_write_one_file(app, frozen_demo, tmp_path):
    require_postgres()
    import threading

    planned = threading.Barrier(2)
    dirs = [tmp_path / "machine-a", tmp_path / "machine-b"]
    outcomes = run_together(2, lambda i: _outcome(app, dirs[i], at("2026-11-20T16:00") + timedelta(seconds=i), planned))
    assert Counter(kind for kind, _ in outcomes) == {"wrote": 1, "taken": 1}, outcomes
    files = [p for d in dirs if d.exists() for p in d.iterdir()]
    assert len(files) == 1, "the losing machine leaves no file, not even a temporary one"
    with app.app_context():
        runs = db.session.scalars(select(FeedRun)).all()
        assert len(runs) == 1 and runs[0].rows == 4


def test_racing_runs_never_report_a_window_twice(app, frozen_demo, tmp_path):
    require_postgres()
    for day in range(5):
        changed_at = at("2026-11-21T01:00") + timedelta(days=day)
        with app.app_context():
            story.touch(story.order(1001 + day % 2), changed_at)
            db.session.commit()
            db.session.remove()
        outcomes = run_together(
            3, lambda i, at=changed_at: _outcome(app, tmp_path / f"machine-{i}", at + timedelta(hours=1, seconds=i))
        )
        kinds = Counter(kind for kind, _ in outcomes)
        assert kinds["wrote"] == 1 and kinds["wrote"] + kinds["taken"] + kinds["nothing"] == 3, outcomes
    with app.app_context():
        runs = db.session.scalars(select(FeedRun).order_by(FeedRun.window_start)).all()
    starts = [run.window_start for run in runs]
    assert len(starts) == len(set(starts)) == 5
    assert all(later.window_start == earlier.window_end for earlier, later in zip(runs, runs[1:])), (
        "windows chain, no gap"
    )
