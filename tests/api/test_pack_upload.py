"""Pack upload (allow-list extraction, atomic install), register and uninstall."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.executions.choices import Status
from apps.executions.models import Action, Execution
from apps.packs.models import Pack
from apps.packs.services import pack_register

pytestmark = pytest.mark.django_db

MANIFEST = b"ref: demo\nversion: 1.0.0\ndescription: a demo pack\n"
ACTION = b"ref: demo.hello\nrunner_type: shell\nentry_point: hello.sh\nparameters:\n  who: {type: string}\n"
SCRIPT = b"#!/bin/sh\necho hello\n"


@pytest.fixture
def upload_dir(tmp_path, settings):
    settings.ATTUNE_PACKS_UPLOAD_DIR = tmp_path / "uploads"
    return settings.ATTUNE_PACKS_UPLOAD_DIR


@pytest.fixture
def client(upload_dir):
    pack_register(path=settings.BASE_DIR / "packs" / "core")
    api = APIClient()
    api.force_authenticate(get_user_model().objects.create_superuser("admin", password="x"))
    return api


def tarball(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def regular(name: str, data: bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.mode = mode
    return info, data


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, None


def good_pack(prefix: str = "demo/", manifest: bytes = MANIFEST) -> list:
    return [
        regular(f"{prefix}pack.yaml", manifest),
        regular(f"{prefix}actions/hello.yaml", ACTION),
        regular(f"{prefix}actions/hello.sh", SCRIPT, 0o755),
    ]


def upload(client, data: bytes):
    return client.post("/api/v1/packs/upload/", {"file": SimpleUploadedFile("pack.tgz", data)}, format="multipart")


def files_under(path: Path) -> list[Path]:
    """Everything under `path` but the upload directory's lock file."""
    return sorted(p for p in path.rglob("*") if p.name != ".lock") if path.exists() else []


def test_upload_installs_and_registers_a_pack(client, upload_dir):
    """A good archive is unpacked into <upload dir>/<ref> and its content registered."""
    response = upload(client, tarball(good_pack()))
    assert response.status_code == 201, response.json()
    assert response.json()["ref"] == "demo"
    assert (upload_dir / "demo" / "actions" / "hello.sh").is_file()
    assert Action.objects.get(ref="demo.hello").pack.path == str(upload_dir / "demo")
    listed = client.get("/api/v1/packs/?q=demo").json()["results"]
    assert [p["ref"] for p in listed] == ["demo"]


def test_upload_accepts_a_pack_at_the_archive_root(client, upload_dir):
    """pack.yaml may sit at the top of the archive rather than in one directory."""
    assert upload(client, tarball(good_pack(prefix=""))).status_code == 201
    assert (upload_dir / "demo" / "pack.yaml").is_file()


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (special("demo/actions/link.sh", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (special("demo/actions/hard.sh", tarfile.LNKTYPE, "demo/pack.yaml"), "hard link"),
        (special("demo/dev", tarfile.CHRTYPE), "device file"),
        (special("demo/fifo", tarfile.FIFOTYPE), "FIFO"),
        (regular("../escape.txt", b"x"), "outside the archive"),
        (regular("demo/../../escape.txt", b"x"), "outside the archive"),
        (regular("/tmp/attune-absolute.txt", b"x"), "absolute path"),
    ],
)
def test_malicious_members_are_refused_and_nothing_is_written(client, upload_dir, tmp_path, member, reason):
    """Links, devices, FIFOs, `..` and absolute names: 400 naming `file` and why; no
    file anywhere, no pack row."""
    before = files_under(tmp_path)
    response = upload(client, tarball([*good_pack(), member]))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["errors"][0]["field"] == "file" and reason in body["errors"][0]["reason"]
    assert [p for p in files_under(tmp_path) if p not in before and p != upload_dir] == []
    assert not Path("/tmp/attune-absolute.txt").exists()
    assert not (tmp_path / "escape.txt").exists() and not (upload_dir.parent / "escape.txt").exists()
    assert not Pack.objects.filter(ref="demo").exists()


def test_limits_on_size_file_size_and_member_count(client, upload_dir, settings):
    """Too large a file, too much in total or too many members: 400, nothing kept."""
    settings.ATTUNE_PACK_UPLOAD_MAX_FILE_BYTES = 1000
    big = upload(client, tarball([*good_pack(), regular("demo/big.bin", b"0" * 5000)]))
    assert big.status_code == 400 and "larger than 1000 bytes" in big.json()["detail"]
    settings.ATTUNE_PACK_UPLOAD_MAX_FILE_BYTES = 10_000
    settings.ATTUNE_PACK_UPLOAD_MAX_BYTES = 3000
    total = upload(client, tarball([*good_pack(), *(regular(f"demo/f{i}", b"0" * 900) for i in range(4))]))
    assert total.status_code == 400 and "more than 3000 bytes" in total.json()["detail"]
    settings.ATTUNE_PACK_UPLOAD_MAX_BYTES = 1_000_000
    settings.ATTUNE_PACK_UPLOAD_MAX_MEMBERS = 5
    many = upload(client, tarball([*good_pack(), *(regular(f"demo/f{i}", b"x") for i in range(5))]))
    assert many.status_code == 400 and "more than 5 members" in many.json()["detail"]
    assert files_under(upload_dir) == [] and not Pack.objects.filter(ref="demo").exists()


def test_not_an_archive_and_no_manifest(client, upload_dir):
    """Garbage and archives without pack.yaml are refused naming `file`."""
    garbage = upload(client, b"not a tarball")
    assert garbage.status_code == 400 and garbage.json()["errors"][0]["field"] == "file"
    empty = upload(client, tarball([regular("readme.txt", b"hi")]))
    assert empty.status_code == 400 and "pack.yaml" in empty.json()["detail"]
    missing = client.post("/api/v1/packs/upload/", {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "file"
    assert files_under(upload_dir) == []


def test_a_pack_that_does_not_load_leaves_nothing_and_keeps_the_previous_upload(client, upload_dir):
    """A broken upgrade: 400 with the file and field; the installed version stays."""
    assert upload(client, tarball(good_pack())).status_code == 201
    broken = ACTION.replace(b"runner_type: shell", b"runner_type: nosuchrunner")
    response = upload(client, tarball([regular("demo/pack.yaml", MANIFEST.replace(b"1.0.0", b"2.0.0")),
                                       regular("demo/actions/hello.yaml", broken)]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "runner_type"
    assert Pack.objects.get(ref="demo").version == "1.0.0"
    assert Action.objects.get(ref="demo.hello").runner_type == "shell"
    assert sorted(p.name for p in upload_dir.iterdir() if p.name != ".lock") == ["demo"]
    assert (upload_dir / "demo" / "actions" / "hello.sh").is_file()


def test_an_upload_cannot_replace_a_pack_from_the_packs_dirs(client, upload_dir):
    """The core pack (or any pack from ATTUNE_PACKS_DIRS) is not replaced: 409."""
    response = upload(client, tarball(good_pack(manifest=b"ref: core\nversion: 9.0.0\n")))
    assert response.status_code == 409
    assert Pack.objects.get(ref="core").version != "9.0.0" and files_under(upload_dir) == []


def test_uninstall_keeps_execution_history_and_removes_the_directory(client, upload_dir,
                                                                     django_capture_on_commit_callbacks):
    """DELETE removes the pack's rows and its uploaded directory; executions stay."""
    assert upload(client, tarball(good_pack())).status_code == 201
    action = Action.objects.get(ref="demo.hello")
    execution = Execution.objects.create(action=action, action_ref=action.ref, status=Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete("/api/v1/packs/demo/").status_code == 204
    assert not Pack.objects.filter(ref="demo").exists() and not Action.objects.filter(ref="demo.hello").exists()
    execution.refresh_from_db()
    assert execution.action_ref == "demo.hello" and execution.action_id is None
    assert client.get(f"/api/v1/executions/{execution.pk}/").json()["action"] == "demo.hello"
    assert not (upload_dir / "demo").exists()
    assert client.delete("/api/v1/packs/demo/").status_code == 404


def test_the_core_pack_cannot_be_uninstalled(client):
    """DELETE /packs/core/ is refused with 409."""
    response = client.delete("/api/v1/packs/core/")
    assert response.status_code == 409 and "core" in response.json()["detail"]
    assert Pack.objects.filter(ref="core").exists()


def test_register_all_or_one(client, upload_dir):
    """register answers what was registered; one unknown ref is a 400 naming `ref`."""
    everything = client.post("/api/v1/packs/register/", {}, format="json")
    assert everything.status_code == 200
    assert "core" in [p["ref"] for p in everything.json()["registered"]]
    one = client.post("/api/v1/packs/register/", {"ref": "core"}, format="json")
    assert one.status_code == 200 and one.json()["registered"][0]["ref"] == "core"
    unknown = client.post("/api/v1/packs/register/", {"ref": "nope"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "ref"
    outside = client.post("/api/v1/packs/register/", {"path": "/etc"}, format="json")
    assert outside.status_code == 400 and outside.json()["errors"][0]["field"] == "path"


def test_uploaded_packs_are_upgraded_and_found_by_register(client, upload_dir):
    """A second upload upgrades the pack; registering all packs finds uploaded ones."""
    assert upload(client, tarball(good_pack())).status_code == 201
    newer = upload(client, tarball(good_pack(manifest=MANIFEST.replace(b"1.0.0", b"1.1.0"))))
    assert newer.status_code == 201 and newer.json()["version"] == "1.1.0"
    registered = client.post("/api/v1/packs/register/", {}, format="json").json()["registered"]
    assert {"ref": "demo", "path": str(upload_dir / "demo")} in registered
