"""The `portal` command: init, demo, serve, migrate, officer add/remove, hospital add, rollup, rotate-key, backup,
restore, purge."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto import DecryptionError, load_private_key, unwrap_with_password, verify_password
from intake.db import utcnow
from intake.models import Hospital, Office, SubmissionKind
from portal import audit
from portal.backup import BackupError, restore_backup, sqlite_path, take_backup
from portal.bootstrap import DEMO_DEPARTMENTS, AlreadyInitialised, authority_office, initialise
from portal.db import Database, DatabaseError, make_engine, migrate
from portal.keyring import Keyring, RecoveryCodeError, officer_keyring, recovery_keyring
from portal.models import Officer, Role
from portal.officers import MIN_PASSWORD_LENGTH, OfficerError, create_officer, give_access, remove_officer
from portal.retention import purge
from portal.rotation import RotationError, rotate_office_key
from portal.settings import (
    Settings,
    SettingsError,
    from_env,
    home_dir,
    secret_path_from_env,
    write_secret_file,
)

DEMO_USERNAME = "demo"


class CommandError(Exception):
    """A command cannot do what was asked; the message says why and what to do."""


def _ask(prompt: str) -> str:
    """A secret from the terminal, or one line of standard input when scripted."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise CommandError(f"expected a line on standard input for: {prompt.strip()}")
    return line.rstrip("\n")


def _new_password(prompt: str) -> str:
    password = _ask(prompt)
    if sys.stdin.isatty() and _ask("Repeat it: ") != password:
        raise CommandError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _settings(create_secret: bool = False) -> Settings:
    path = secret_path_from_env()
    if create_secret and not path.exists():
        write_secret_file(path)
        print(f"Created the deployment secret {path} (mode 600). Back it up apart from the database:")
        print("  without it no receipt code can be checked and no officer can log in.")
    return from_env()


def _database(settings: Settings) -> Database:
    database = Database(make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    migrate(database.engine)
    return database


def _print_officer(username: str, totp_secret: str, uri: str) -> None:
    print(f"  username:     {username}")
    print(f"  TOTP secret:  {totp_secret}   (add it to an authenticator app)")
    print(f"  TOTP URI:     {uri}")


def cmd_init(args: argparse.Namespace) -> None:
    settings = _settings(create_secret=True)
    database = _database(settings)
    password = _new_password(f"Password for the first officer {args.username!r}: ")
    with database.transaction() as session:
        done = initialise(
            session,
            authority_name=args.authority, authority_hotline=args.authority_hotline,
            hospital_name=args.hospital, hospital_code=args.hospital_code, hospital_hotline=args.hotline,
            departments=DEMO_DEPARTMENTS if args.demo_departments else (),
            username=args.username, display_name=args.display_name or args.username, password=password,
            params=settings.argon2, secret=settings.secret,
        )
    _report_init(done.officer.officer.username, done.officer.totp_secret, done.officer.provisioning_uri,
                 done.hospital_recovery_code, done.authority_recovery_code, done.hospital.name)


def _report_init(username: str, totp: str, uri: str, hospital_code: str, authority_code: str, name: str) -> None:
    print(f"\nSet up {name} and the higher authority.")
    print("The first officer (office head):")
    _print_officer(username, totp, uri)
    print("\nRECOVERY CODES — shown this once. Print them and keep them in the heads' safes:")
    print(f"  hospital office:  {hospital_code}")
    print(f"  higher authority: {authority_code}")
    print("They open every sealed submission if all officers' passwords are lost.\n")


def cmd_demo(args: argparse.Namespace) -> None:
    home = home_dir()
    credentials = home / "demo-credentials.txt"
    settings = _settings(create_secret=True)
    database = _database(settings)
    with database.transaction() as session:
        fresh = authority_office(session) is None
    if fresh:
        password = secrets.token_urlsafe(12)
        with database.transaction() as session:
            done = initialise(
                session,
                authority_name="示例市卫生健康委员会驻委纪检监察组", authority_hotline="0771-12388",
                hospital_name="示例市第一人民医院", hospital_code="demo", hospital_hotline="0771-5550100",
                departments=DEMO_DEPARTMENTS, username=DEMO_USERNAME, display_name="演示纪检干部",
                password=password, params=settings.argon2, secret=settings.secret,
            )
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"username {DEMO_USERNAME}\npassword {password}\ntotp {done.officer.totp_secret}\n")
        _report_init(DEMO_USERNAME, done.officer.totp_secret, done.officer.provisioning_uri,
                     done.hospital_recovery_code, done.authority_recovery_code, done.hospital.name)
    _print_demo_login(credentials)
    if not args.no_serve:
        _serve(settings, host=args.host, port=args.port, workers=1)


def _print_demo_login(credentials: Path) -> None:
    try:
        values = dict(line.split(" ", 1) for line in credentials.read_text(encoding="utf-8").splitlines())
    except (OSError, ValueError):
        print("This database was not set up by `portal demo`: log in with the officer you created.")
        return
    totp = values.get("totp", "")
    print("DEMO ONLY — log in at http://127.0.0.1:8000/office/login with:")
    print(f"  username:     {values.get('username')}")
    print(f"  password:     {values.get('password')}")
    print(f"  TOTP secret:  {totp}   (code right now: {pyotp.TOTP(totp).now() if totp else '?'})")
    print(f"  (kept in {credentials}; a real deployment uses `portal init`, which stores no password)")
    print("Public pages: http://127.0.0.1:8000/\n")


def _serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    print(f"Serving on http://{host}:{port}/  (Ctrl+C stops)")
    sys.stdout.flush()
    uvicorn.run(
        "portal.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        access_log=False, server_header=False, log_level="warning",
        # Only a listed proxy's X-Forwarded-For replaces the client address (which throttles hash, never store).
        proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies or None,
    )


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings()
    _database(settings)  # migrate once before the workers start
    _serve(settings, host=args.host, port=args.port, workers=args.workers)


def cmd_migrate(args: argparse.Namespace) -> None:
    _database(_settings())
    print("The database is at the newest revision.")


def _office(session: object, code: str) -> Office:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    if code == "authority":
        office = authority_office(session)
    else:
        office = session.scalar(select(Office).join(Hospital).where(Hospital.code == code))
    if office is None:
        raise CommandError(f"no office {code!r}: give a hospital's short code, or 'authority'")
    return office


def _office_keyring(session: Session, office: Office, *, granted_by: str | None,
                    recovery: bool) -> tuple[Keyring, Officer | None]:
    """The office's keys, opened with the recovery code or an officer's password (both read from stdin)."""
    if recovery:
        return recovery_keyring(session, office=office, code=_ask("Recovery code of the office: ")), None
    if not granted_by:
        raise CommandError("give --granted-by USERNAME (an officer of the office) or --recovery")
    granter = session.scalar(select(Officer).where(Officer.username == granted_by.lower(), Officer.active.is_(True)))
    if granter is None or granter.office_id != office.id:
        raise CommandError(f"no active officer {granted_by!r} in this office")
    return _open_with_password(session, granter, wrong="wrong password"), granter


def _open_with_password(session: Session, officer: Officer, *, wrong: str) -> Keyring:
    """The office keys an officer holds, opened with the password typed on stdin."""
    secret = _ask(f"Password of {officer.username}: ")
    if not verify_password(officer.password_hash, secret):
        raise CommandError(wrong)
    try:
        private = load_private_key(unwrap_with_password(officer.wrapped_private_key, secret))
    except DecryptionError:
        raise CommandError(wrong) from None
    return officer_keyring(session, officer=officer, officer_private=private)


def cmd_officer_add(args: argparse.Namespace) -> None:
    settings = _settings()
    database = _database(settings)
    role = Role(args.role)
    with database.transaction() as session:
        office = _office(session, args.office)
        keyring = None
        granter = None
        if role is not Role.ADMIN:
            if not (args.recovery or args.granted_by):
                raise CommandError("a reading officer needs access: give --granted-by USERNAME or --recovery")
            keyring, granter = _office_keyring(session, office, granted_by=args.granted_by, recovery=args.recovery)
        password = _new_password(f"Password for {args.username!r}: ")
        new = create_officer(session, office=office, username=args.username,
                             display_name=args.display_name or args.username, role=role, password=password,
                             params=settings.argon2, secret=settings.secret)
        granted = give_access(session, officer=new.officer, keyring=keyring, granted_by=granter) if keyring else 0
        audit.record(session, office_id=office.id, officer_id=granter.id if granter else None,
                     action="officer_added", target=new.officer.username,
                     details={"role": role.value, "keys_granted": granted, "via": "recovery" if args.recovery else
                              ("officer" if granter else "none")})
    print(f"Added {role.value} {new.officer.username} to {office.name} ({granted} office key(s) granted).")
    _print_officer(new.officer.username, new.totp_secret, new.provisioning_uri)


def cmd_officer_remove(args: argparse.Namespace) -> None:
    settings = _settings()
    database = _database(settings)
    with database.transaction() as session:
        officer = session.scalar(select(Officer).where(Officer.username == args.username.lower()))
        if officer is None or not officer.active:
            raise CommandError(f"no active officer {args.username!r}")
        remove_officer(session, officer=officer)
        audit.record(session, office_id=officer.office_id, officer_id=None, action="officer_removed",
                     target=officer.username)
    print(f"Removed {args.username}: their grants and sessions are deleted.")


def _officer_or_recovery_keyring(session: object, args: argparse.Namespace) -> tuple[Office, Keyring, int | None]:
    """The office keys for a command run on an officer's password or on the office's recovery code."""
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    if args.recovery:
        office = _office(session, args.office)
        return office, recovery_keyring(session, office=office, code=_ask("Recovery code of the office: ")), None
    if not args.username:
        raise CommandError("give --username OFFICER (asks for the password) or --recovery")
    officer = session.scalar(select(Officer).where(Officer.username == args.username.lower(),
                                                   Officer.active.is_(True)))
    if officer is None:
        _ask(f"Password of {args.username}: ")  # asked all the same: the answer tells nothing
        raise CommandError("unknown officer or wrong password")
    keyring = _open_with_password(session, officer, wrong="unknown officer or wrong password")
    office = session.get(Office, officer.office_id)
    assert office is not None
    return office, keyring, officer.id


def cmd_rollup(args: argparse.Namespace) -> None:
    database = _database(_settings())
    try:
        _rollup(database, args)
    finally:
        database.engine.dispose()  # the command may run inside a longer-lived process (tests, scripts)


def _rollup(database: Database, args: argparse.Namespace) -> None:
    from portal.rating_opener import ParallelOpener
    from portal.rating_rollup import BATCH, MissingKeyError, Progress, rollup

    with database.transaction() as session:
        office, keyring, officer_id = _officer_or_recovery_keyring(session, args)
        audit.record(session, office_id=office.id, officer_id=officer_id, action="rollup_started",
                     details={"via": "recovery" if args.recovery else "officer"})
    if not keyring.keys:
        raise CommandError("these credentials hold no office key")

    def show(progress: Progress, total: int) -> None:
        print(f"\r  counted {progress.counted}/{total}  alerts {progress.alerts}", end="", flush=True)

    with ParallelOpener(workers=args.workers or None) as opener:
        try:
            done = rollup(database, keyring=keyring, office_id=office.id, officer_id=officer_id,
                          batch=args.batch or BATCH, opener=opener, on_progress=show)
        except MissingKeyError as exc:
            raise CommandError(str(exc)) from None
    print(f"\nCounted {done.counted} rating(s) for {office.name}: {done.alerts} alert(s) raised, "
          f"{done.unreadable} unreadable.")


def cmd_hospital_add(args: argparse.Namespace) -> None:
    from portal import department_lists as lists
    from portal.hospitals import HospitalForm, HospitalRefused, add_hospital

    settings = _settings()
    database = _database(settings)
    path = Path(args.departments)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    cells = lists.read_upload(path.name, data)
    errors = [cells] if isinstance(cells, lists.RowError) else []
    checked = lists.check(cells) if not isinstance(cells, lists.RowError) else None
    form = HospitalForm(name=args.name.strip(), code=args.code.strip().lower(), hotline=args.hotline.strip(),
                        head_username=args.head.strip().lower(), head_name=(args.head_name or args.head).strip())
    with database.transaction() as session:
        authority = authority_office(session)
        if authority is None:
            raise CommandError("this database is not set up: run `portal init` first")
        try:
            if checked is not None:
                errors += checked.errors
            if errors:
                raise HospitalRefused(errors)
            created = add_hospital(session, form=form, departments=checked.departments if checked else [],
                                   actor_office_id=authority.id, actor_id=None, params=settings.argon2,
                                   secret=settings.secret)
        except HospitalRefused as exc:
            from portal.hospitals import check_form

            problems = exc.errors if exc.errors is not errors else check_form(session, form) + errors
            lines = [(f"  line {e.row}: " if e.row else "  ") + e.message.format(**e.values) for e in problems]
            raise CommandError("nothing was imported:\n" + "\n".join(lines)) from None
    print(f"Added {created.name} ({created.code}): {created.departments} departments, {created.posters} poster codes.")
    print("The office head:")
    print(f"  one-time password: {created.head.password}   (change it at the first login)")
    _print_officer(created.head.username, created.head.totp_secret or "", created.head.provisioning_uri)
    print("\nRECOVERY CODE of the hospital office — shown this once. Print it for the head's safe:")
    print(f"  {created.recovery_code}\n")


def cmd_rotate_key(args: argparse.Namespace) -> None:
    settings = _settings()
    database = _database(settings)
    with database.transaction() as session:
        office = _office(session, args.office)
        keyring, granter = _office_keyring(session, office, granted_by=args.granted_by, recovery=args.recovery)
        if granter is not None and granter.role is not Role.HEAD and not args.recovery:
            raise CommandError("only the office head (or the recovery code) rotates the office key")
        done = rotate_office_key(session, office=office, keyring=keyring, by=granter)
    print(f"New key {done.key_id.hex()} for {office.name}; {done.retired} previous key(s) retired (they still open "
          f"what was sealed to them).")
    print(f"Granted to: {', '.join(done.officers_granted) or 'nobody'}. Every officer of the office logs in again.")


def cmd_backup(args: argparse.Namespace) -> None:
    settings = _settings()
    database = _database(settings)
    info = take_backup(database, secret=settings.secret, out=Path(args.out))
    print(f"Backup written to {info.path}: {info.submissions} submission(s), sha256 {info.sha256}.")
    print("It holds sealed data only. Keep the deployment secret apart: without it the backup cannot be restored.")


def cmd_restore(args: argparse.Namespace) -> None:
    settings = _settings()
    target = sqlite_path(make_engine(settings.database_url))
    count = restore_backup(Path(args.backup), secret=settings.secret, target=target, force=args.force)
    _database(settings)  # a backup of an older version is brought to the newest revision
    print(f"Restored {count} submission(s) to {target}.")


def cmd_purge(args: argparse.Namespace) -> None:
    settings = _settings()
    database = _database(settings)
    periods = {SubmissionKind(kind): timedelta(days=days) for kind, days in settings.retention_days.items()}
    with database.transaction() as session:
        done = purge(session, periods=periods, now=utcnow(), dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    for kind, days in settings.retention_days.items():
        print(f"{verb} {done.deleted.get(kind, 0)} {kind}(s) older than {days} days"
              + (f"; {done.kept_open[kind]} older but still open, kept" if done.kept_open.get(kind) else ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="Hospital integrity portal")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="create the database, the authority, a hospital and its first officer")
    init.add_argument("--hospital", required=True, help="the hospital's name")
    init.add_argument("--hospital-code", required=True, help="short code used in URLs, e.g. city1")
    init.add_argument("--hotline", default="", help="the hospital office's phone number")
    init.add_argument("--authority", required=True, help="the higher authority's office name")
    init.add_argument("--authority-hotline", default="")
    init.add_argument("--username", required=True, help="the first officer (office head)")
    init.add_argument("--display-name", default="")
    init.add_argument("--demo-departments", action="store_true", help="add a sample list of departments")
    init.set_defaults(func=cmd_init)

    demo = sub.add_parser("demo", help="set up a demo hospital on SQLite (once) and serve it")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--no-serve", action="store_true", help="set up and print the login, then stop")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="run the web server (migrations run first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database to the newest revision").set_defaults(func=cmd_migrate)

    officer = sub.add_parser("officer", help="manage officer accounts")
    officer_sub = officer.add_subparsers(dest="officer_command", required=True, metavar="ACTION")
    add = officer_sub.add_parser("add", help="add an officer; the office key is sealed to them")
    add.add_argument("--office", required=True, help="a hospital's short code, or 'authority'")
    add.add_argument("--username", required=True)
    add.add_argument("--display-name", default="")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.OFFICER.value)
    how = add.add_mutually_exclusive_group()
    how.add_argument("--granted-by", metavar="USERNAME", help="an officer of the office who grants access")
    how.add_argument("--recovery", action="store_true", help="grant access with the office's recovery code")
    add.set_defaults(func=cmd_officer_add)
    remove = officer_sub.add_parser("remove", help="remove an officer: grants and sessions are deleted")
    remove.add_argument("--username", required=True)
    remove.set_defaults(func=cmd_officer_remove)

    rollup = sub.add_parser("rollup", help="count new satisfaction ratings into the sealed statistics")
    who = rollup.add_mutually_exclusive_group(required=True)
    who.add_argument("--username", help="an officer of the office (asks for the password)")
    who.add_argument("--recovery", action="store_true", help="use the office's recovery code instead")
    rollup.add_argument("--office", default="", help="with --recovery: a hospital's short code")
    rollup.add_argument("--batch", type=int, default=0, help="ratings per transaction (default 5000)")
    rollup.add_argument("--workers", type=int, default=0, help="processes that open envelopes (default: all cores)")
    rollup.set_defaults(func=cmd_rollup)
    hospital = sub.add_parser("hospital", help="manage the region's hospitals")
    hospital_sub = hospital.add_subparsers(dest="hospital_command", required=True, metavar="ACTION")
    hadd = hospital_sub.add_parser("add", help="add a hospital with its office, keys, first head and departments")
    hadd.add_argument("--name", required=True, help="the hospital's name")
    hadd.add_argument("--code", required=True, help="short code used in URLs and posters, e.g. city2")
    hadd.add_argument("--hotline", default="", help="the hospital office's phone number")
    hadd.add_argument("--head", required=True, metavar="USERNAME", help="the office head's username")
    hadd.add_argument("--head-name", default="", help="the office head's name")
    hadd.add_argument("--departments", required=True, metavar="FILE",
                      help="CSV or xlsx: department name, category (职能/临床/医技)")
    hadd.set_defaults(func=cmd_hospital_add)
    rotate = sub.add_parser("rotate-key", help="give an office a new key pair; old submissions stay readable")
    rotate.add_argument("--office", required=True, help="a hospital's short code, or 'authority'")
    rotate_how = rotate.add_mutually_exclusive_group(required=True)
    rotate_how.add_argument("--granted-by", metavar="USERNAME", help="the office head (password on stdin)")
    rotate_how.add_argument("--recovery", action="store_true", help="the office's recovery code (on stdin)")
    rotate.set_defaults(func=cmd_rotate_key, recovery=False)

    backup = sub.add_parser("backup", help="write a consistent backup (sealed data only) with a manifest")
    backup.add_argument("out", help="the backup file to create, e.g. portal-2025-06-01.hipbak")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="check a backup and put it in place (stop the portal first)")
    restore.add_argument("backup", help="a file written by `portal backup`")
    restore.add_argument("--force", action="store_true", help="replace the existing database")
    restore.set_defaults(func=cmd_restore)

    purge_cmd = sub.add_parser("purge", help="delete submissions past their retention period")
    purge_cmd.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    purge_cmd.set_defaults(func=cmd_purge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (CommandError, SettingsError, DatabaseError, OfficerError, RecoveryCodeError, AlreadyInitialised,
            BackupError, RotationError) as exc:
        print(f"portal: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
