"""Times `chiso survey index` and DuckDB on the same responses.csv and checks they agree.

Run by bench/survey-index.sh. DuckDB computes the same per-unit results as chiso
(docs/formats.md §6.3): per item the weighted share of answers 4–5 among non-blank answers
(a blank weight counts 1), per factor the mean of its items' rates (items with no answer left
out), the index as the mean of the factors, and the response count. Both read the CSV from
scratch on every run; chiso's time includes starting the process and writing its JSON.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import duckdb

FACTORS = {
    "F1": ["c01", "c02", "c03", "c04"],
    "F2": ["c05", "c06", "c07", "c08", "c09"],
    "F3": ["c10", "c11", "c12", "c13", "c14", "c15"],
    "F4": ["c16", "c17", "c18"],
    "F5": ["c19", "c20", "c21", "c22"],
}
ITEMS = [item for items in FACTORS.values() for item in items] + ["overall"]


def duckdb_sql(path: str) -> str:
    columns = {"unit_code": "VARCHAR", "respondent_id": "VARCHAR", "channel": "VARCHAR",
               "weight": "DOUBLE"}
    columns.update({item: "TINYINT" for item in ITEMS})
    spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
    rates = ",\n    ".join(
        f"coalesce(sum(w) FILTER (WHERE {i} >= 4), 0) / sum(w) FILTER (WHERE {i} IS NOT NULL) * 100 AS {i}"
        for i in ITEMS
    )
    mapping = ", ".join(f"('{i}', '{f}')" for f, items in FACTORS.items() for i in items)
    return f"""
CREATE OR REPLACE TEMP TABLE item_rates AS
SELECT unit_code, count(*) AS responses,
    {rates}
FROM (SELECT *, coalesce(weight, 1.0) AS w
      FROM read_csv('{path}', header = true, quote = '"', columns = {{{spec}}}))
GROUP BY unit_code;
CREATE OR REPLACE TEMP TABLE factor_index AS
SELECT unit_code, factor, avg(rate) AS factor_index
FROM (UNPIVOT item_rates ON {", ".join(i for i in ITEMS if i != "overall")}
      INTO NAME item VALUE rate)
JOIN (VALUES {mapping}) AS m(item, factor) USING (item)
GROUP BY unit_code, factor;
"""


def run_duckdb(path: str):
    connection = duckdb.connect()
    connection.execute(duckdb_sql(path))
    items = connection.execute("SELECT * FROM item_rates").fetchall()
    names = [d[0] for d in connection.description]
    factors = connection.execute(
        "SELECT unit_code, factor, factor_index FROM factor_index").fetchall()
    index = connection.execute(
        "SELECT unit_code, avg(factor_index) FROM factor_index GROUP BY unit_code").fetchall()
    threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
    connection.close()
    result = {}
    for row in items:
        record = dict(zip(names, row))
        result[record["unit_code"]] = {
            "responses": record["responses"],
            "items": {i: record[i] for i in ITEMS},
            "factors": {},
        }
    for unit, factor, value in factors:
        result[unit]["factors"][factor] = value
    for unit, value in index:
        result[unit]["index"] = value
    return result, threads


def run_chiso(binary: str, path: str, output: str):
    subprocess.run(
        [binary, "survey", "index", "--questionnaire", "sipas-2017", "--responses", path,
         "--format", "json", "--output", output],
        check=True, stderr=subprocess.DEVNULL)


def timed(action, runs: int):
    action()  # warm-up: page cache, lazy initialisation; not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def compare(chiso_json: dict, duck: dict) -> int:
    """The number of values that differ by more than 1e-9; prints the first few."""
    problems = 0

    def check(what, a, b):
        nonlocal problems
        same = (a is None and b is None) or (
            a is not None and b is not None and abs(a - b) <= 1e-9)
        if not same:
            problems += 1
            if problems <= 10:
                print(f"  DIFFERENT {what}: chiso {a} duckdb {b}")

    units = {u["unit_code"]: u for u in chiso_json["units"]}
    if set(units) != set(duck):
        print(f"  DIFFERENT units: chiso {sorted(units)} duckdb {sorted(duck)}")
        return 1
    for code, unit in units.items():
        d = duck[code]
        check(f"{code} responses", unit["responses"], d["responses"])
        check(f"{code} index", unit["index"], d.get("index"))
        for factor in unit["factors"]:
            check(f"{code} {factor['code']}", factor["index"], d["factors"].get(factor["code"]))
        for item in unit["items"] + unit.get("other_items", []):
            check(f"{code} {item['code']}", item["satisfied_rate"], d["items"][item["code"]])
    return problems


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chiso", required=True)
    parser.add_argument("--responses", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = os.path.abspath(args.responses)
    output = os.path.join(os.path.dirname(path), "chiso-index.json")
    rows = sum(1 for _ in open(path, "rb")) - 1
    size = os.path.getsize(path) / 1e6

    print(f"== data: {path}: {rows:,} rows, {size:.1f} MB")
    print(f"== machine: {machine()}")
    version = subprocess.run([args.chiso, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"== {version}; duckdb {duckdb.__version__}; Python {platform.python_version()}")

    chiso_times = timed(lambda: run_chiso(args.chiso, path, output), args.runs)
    duck_result = {}
    threads = None

    def duck():
        nonlocal duck_result, threads
        duck_result, threads = run_duckdb(path)

    duck_times = timed(duck, args.runs)

    with open(output) as f:
        chiso_json = json.load(f)
    problems = compare(chiso_json, duck_result)

    chiso_median = statistics.median(chiso_times)
    duck_median = statistics.median(duck_times)
    print(f"chiso survey index  runs: {', '.join(f'{t:.3f}' for t in chiso_times)} s")
    print(f"duckdb ({threads} threads)  runs: {', '.join(f'{t:.3f}' for t in duck_times)} s")
    print()
    print("| Measure | Median of %d runs |" % args.runs)
    print("|---|---|")
    print(f"| `chiso survey index --format json` ({rows:,} rows) | {chiso_median:.3f} s |")
    print(f"| DuckDB, same per-unit results from the same CSV ({threads} threads) | {duck_median:.3f} s |")
    print(f"| ratio DuckDB / chiso | {duck_median / chiso_median:.2f}× |")
    print()
    if problems:
        print(f"RESULTS DIFFER: {problems} values")
        sys.exit(1)
    print(f"Results agree: {len(chiso_json['units'])} units, index, factors and items within 1e-9.")
    if chiso_median > duck_median:
        print("TARGET MISSED: chiso is slower than DuckDB")
        sys.exit(2)
    print("Target met: chiso is no slower than DuckDB.")


if __name__ == "__main__":
    main()
