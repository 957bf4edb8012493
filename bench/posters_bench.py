"""Seconds to make a whole hospital's posters: `python -m bench.posters_bench` (50 departments) or `--full` (500).

Standalone: a throwaway SQLite database with one hospital; it times giving the codes (ensure_posters), gathering the
sheets, and drawing the PDF for A4 and A3, plus one PNG preview.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from intake.db import Base
from intake.models import Audience, Department, DepartmentCategory, Hospital, Office, OfficeKind
from intake.posters import ensure_posters
from portal.db import Database, make_engine
from portal.posters.render import poster_png, posters_pdf
from portal.posters.service import PosterChoice, poster_sheets


def build(db: Database, departments: int) -> int:
    with db.transaction() as session:
        hospital = Hospital(code="bench", name="示例市第一人民医院")
        session.add(hospital)
        session.add(Office(kind=OfficeKind.AUTHORITY, name="示例市卫健委驻委纪检监察组", hotline="0771-12388",
                           recovery_public_key=b"-"))
        session.flush()
        session.add(Office(kind=OfficeKind.HOSPITAL, hospital_id=hospital.id, name="纪检监察室",
                           hotline="0771-5550100", recovery_public_key=b"-"))
        for i in range(departments):
            # Names of every length the layout meets, up to 40 characters, so the text fitting is exercised.
            name = f"第{i + 1}病区" + "心血管内科呼吸与危重症医学科" * (i % 4)
            session.add(Department(hospital_id=hospital.id, name=name[:40], category=DepartmentCategory.CLINICAL))
        session.flush()
        return hospital.id


def run(departments: int, *, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"))
        Base.metadata.create_all(db.engine)
        hospital_id = build(db, departments)
        started = time.perf_counter()
        with db.transaction() as session:
            hospital = session.get(Hospital, hospital_id)
            assert hospital is not None
            created = ensure_posters(session, hospital=hospital)
        print(f"codes for {departments} departments ({created} posters): {time.perf_counter() - started:.3f} s")
        for size in ("A4", "A3"):
            started = time.perf_counter()
            with db.transaction() as session:
                sheets = poster_sheets(session, hospital_id=hospital_id, public_url="https://jubao.example.cn",
                                       choice=PosterChoice(Audience.PATIENT, size, "all"))
            gathered = time.perf_counter() - started
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            pdf = posters_pdf(sheets, size=size)
            drawn = time.perf_counter() - started
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
            print(f"{size}: {len(sheets)} pages, sheets {gathered:.3f} s, PDF {drawn:.2f} s "
                  f"({len(sheets) / drawn:.0f} pages/s), {len(pdf) / 1e6:.2f} MB")
        started = time.perf_counter()
        poster_png(sheets[0], width_px=600)
        print(f"PNG preview (600 px): {time.perf_counter() - started:.3f} s")
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="500 departments instead of 50")
    parser.add_argument("--departments", type=int, help="any number of departments")
    parser.add_argument("--profile", action="store_true", help="print where the PDF time goes")
    args = parser.parse_args()
    run(args.departments or (500 if args.full else 50), profile=args.profile)


if __name__ == "__main__":
    main()
