"""Services behind the app: demo accounts, background jobs, export zips, `voxcart app`."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.labeler.helpers import make_clips
from voxcart.datasets.errors import ProjectError
from voxcart.datasets.store.schema import ClipReference, Role
from voxcart.labeler.accounts import auth
from voxcart.labeler.accounts.demo_users import DEMO_ACCOUNTS, ensure_demo_users
from voxcart.labeler.cli import app_cmd as app_cli
from voxcart.labeler.services import jobs
from voxcart.labeler.services.export_bundle import zip_folder


def test_demo_users_only_in_demo_projects(project):
    make_clips(project, 1)
    with pytest.raises(ProjectError, match="no demo clips"):
        ensure_demo_users(project)
    with project.session() as session:
        assert auth.list_users(session) == []


def test_demo_users_are_created_once_and_can_log_in(project):
    (clip,) = make_clips(project, 1)
    with project.session() as session:
        session.add(ClipReference(clip_id=clip, text="sony tv", source="demo-tts"))
    accounts = ensure_demo_users(project)
    assert [(u, r) for u, r, _ in accounts] == [
        ("annotator", Role.ANNOTATOR), ("reviewer", Role.REVIEWER), ("lead", Role.LEAD),
    ]  # fmt: skip
    assert ensure_demo_users(project) == accounts  # idempotent
    with project.session() as session:
        assert len(auth.list_users(session)) == 3
        for username, role, password in DEMO_ACCOUNTS:
            assert auth.authenticate(session, username, password).role is role


def test_only_one_job_runs_per_project_and_progress_is_visible(project):
    release = threading.Event()

    def body(progress):
        progress(1, 4)
        release.wait(30)
        progress(4, 4)
        return "all done"

    first = jobs.start_job(project, "test", body)
    with pytest.raises(jobs.JobBusyError, match="still running"):
        jobs.start_job(project, "test", body)
    release.set()
    final = jobs.wait(project, timeout_s=30)
    assert final is not None and final.job_id == first.job_id
    assert (final.state, final.done, final.total, final.summary) == (
        jobs.JobState.DONE, 4, 4, "all done",
    )  # fmt: skip
    again = jobs.start_job(project, "test", lambda progress: "second")
    assert again.job_id > first.job_id
    assert jobs.wait(project, 30).summary == "second"


def test_a_failing_job_reports_its_error(project):
    def body(progress):
        raise RuntimeError("decoder exploded")

    jobs.start_job(project, "test", body)
    final = jobs.wait(project, 30)
    assert final.state is jobs.JobState.FAILED and "decoder exploded" in final.summary


def test_zip_folder_keeps_relative_names_and_skips_symlinks(tmp_path):
    folder = tmp_path / "v1-csv"
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "manifest.csv").write_text("a,b\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship")
    (folder / "link.txt").symlink_to(secret)
    target = zip_folder(folder, tmp_path / "v1-csv.zip")
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["v1-csv/train/manifest.csv"]


def test_app_command_line_serves_the_packaged_script_on_the_given_address():
    cmd = app_cli.streamlit_command("127.0.0.1", 8600, headless=True)
    assert cmd[1:5] == ["-m", "streamlit", "run", str(app_cli.APP_SCRIPT)]
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[cmd.index("--client.toolbarMode") + 1] == "minimal"  # no Deploy button
    assert app_cli.APP_SCRIPT.is_file()
    env = app_cli.app_environment(Path("/srv/shop"), None)
    assert env["VOXCART_PROJECT"] == "/srv/shop" and "VOXCART_DB" not in env


def test_app_command_refuses_a_directory_that_is_not_a_project(tmp_path):
    import typer

    cli = typer.Typer()
    app_cli.register(cli)
    cli.command("noop")(lambda: None)
    result = CliRunner().invoke(cli, ["app", "-p", str(tmp_path)])
    assert result.exit_code != 0
    assert "is not a voxcart project (no voxcart.toml)" in str(result.exception)
    with pytest.raises(ProjectError, match="not a TCP port"):
        app_cli.streamlit_command("127.0.0.1", 70000, True)


def test_root_streamlit_app_routes_like_the_packaged_script(project, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO_ROOT

    monkeypatch.setenv("VOXCART_PROJECT", str(project.root))
    at = AppTest.from_file(str(REPO_ROOT / "streamlit_app.py"), default_timeout=30).run()
    assert not at.exception
    assert at.text_input(key="voxcart_login_password") is not None


def test_demo_accounts_stop_working_once_real_audio_is_imported(project, tmp_path):
    from sqlalchemy import update

    from tests.conftest import write_audio
    from voxcart.datasets.ingest.engine import import_source
    from voxcart.datasets.store.schema import Clip
    from voxcart.labeler.accounts import login_sessions
    from voxcart.labeler.accounts.demo_users import demo_login_problem

    (clip,) = make_clips(project, 1)
    with project.session() as session:
        session.execute(update(Clip).values(origin="demo"))
        session.add(ClipReference(clip_id=clip, text="sony tv", source="demo-tts"))
    ensure_demo_users(project)
    with project.session() as session:
        ids = {name: auth.authenticate(session, name, pw).id for name, _r, pw in DEMO_ACCOUNTS}
        assert all(demo_login_problem(session, i) is None for i in ids.values())
    report = import_source(project, write_audio(tmp_path / "real.wav", seconds=0.5))
    assert report.imported == 1
    with project.session() as session:
        problem = demo_login_problem(session, ids["annotator"])
        assert problem is not None and "public password" in problem
        assert "voxcart user passwd annotator" in problem
        auth.set_password(session, ids["lead"], "a-private-password")
    with project.session() as session:
        assert demo_login_problem(session, ids["lead"]) is None  # private now: fine
        token = login_sessions.start(session, ids["reviewer"])
        assert login_sessions.resume(session, token) == ids["reviewer"]


def test_model_versions_show_promotion_and_the_live_version(project):
    from voxcart.labeler.services.overview import model_versions
    from voxcart.model.versions import register_model

    with project.session() as session:
        register_model(session, "shop-v1", "sphinx", None, {})
        better = register_model(session, "shop-v2", "sphinx", None, {})
        better.metrics = {
            "promotion": {"promoted": True, "dev_wer_before": 0.3, "dev_wer_after": 0.2}
        }
        worse = register_model(session, "shop-v3", "sphinx", None, {})
        worse.metrics = {
            "promotion": {"promoted": False, "dev_wer_before": 0.2, "dev_wer_after": 0.4}
        }
    views = {v.name: v for v in model_versions(project)}
    assert [n for n, v in views.items() if v.live] == ["shop-v2"]
    assert (views["shop-v3"].dev_wer_before, views["shop-v3"].dev_wer_after) == (0.2, 0.4)
