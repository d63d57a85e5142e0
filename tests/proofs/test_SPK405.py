"""SPK405's rewrites (a UDF application -> the built-in) give the UDF's results on real Spark.

Each case defines a UDF the way users write it, applies it, and checks the
rewritten application runs and returns the same rows.  Data includes null rows
wherever the UDF guards ``None``; unguarded UDFs run on the rows without nulls
(the Python code would raise on them).
"""

import ast

import pytest

from helpers import prove_fix

pytestmark = [pytest.mark.spark, pytest.mark.filterwarnings("ignore:Cannot infer the eval type")]

DATA = '''
import datetime
import hashlib
import re
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BooleanType, DoubleType, IntegerType, LongType, StringType

people = spark.createDataFrame(
    [
        ("  Alice ", "Smith", 34, 0.25, "a.b.c", "x|y", "42", "alice@example.com", datetime.date(1990, 5, 17)),
        ("bob", "Jones", 17, -2.5, "d.e", "p|q|r", " 7 ", "bob@mail.org", datetime.date(2007, 1, 2)),
        ("carol ann", "Lee", 70, 1.005, "f", "s", "-3", "carol@x.io", datetime.date(1954, 12, 31)),
        (None, None, None, None, None, None, None, None, None),
    ],
    "name string, last string, age int, score double, path string, pipes string, code string, email string, "
    "born date",
)
full = people.dropna()
'''


def _prove(spark, body: str, unsafe: bool = True) -> str:
    return prove_fix(spark, "SPK405", DATA + body, unsafe=unsafe)


CASES = [
    # (UDF definition and application, the rewritten application)
    ('u = F.udf(lambda s: s.upper() if s is not None else None, StringType())\n'
     'result = people.select(u(F.col("name")))\n',
     'result = people.select(F.upper(F.col("name")))'),
    ('u = F.udf(lambda s: s.lower() if s else None)\nresult = people.select(u("name"))\n',
     'result = people.select(F.lower("name"))'),
    ('u = F.udf(lambda s: s and s.strip(), "string")\nresult = people.select(u(people.name))\n',
     'result = people.select(F.trim(people.name))'),
    ('u = F.udf(lambda s: s.lstrip(), "string")\nresult = full.select(u("name"))\n',
     'result = full.select(F.ltrim("name"))'),
    ('u = F.udf(lambda s: s.rstrip(" "), "string")\nresult = full.select(u("name"))\n',
     'result = full.select(F.rtrim("name"))'),
    ('def name_len(s: str):\n    return len(s) if s is not None else None\n\n'
     'u = F.udf(name_len, IntegerType())\nresult = people.select(u("name"))\n',
     'result = people.select(F.length("name"))'),
    ('u = F.udf(lambda x: abs(x) if x is not None else None, DoubleType())\nresult = people.select(u("score"))\n',
     'result = people.select(F.abs("score"))'),
    ('u = F.udf(lambda x: round(x, 1) if x is not None else None, DoubleType())\n'
     'result = people.select(u("score"))\n',
     'result = people.select(F.bround("score", 1))'),
    ('u = F.udf(lambda a, b: a + " " + b, StringType())\nresult = full.select(u("name", "last"))\n',
     'result = full.select(F.concat("name", F.lit(" "), "last"))'),
    ('def full_name(first, last):\n    if first is None or last is None:\n        return None\n'
     '    return f"{first} {last}"\n\nu = F.udf(full_name)\nresult = people.select(u("name", "last"))\n',
     'result = people.select(F.concat("name", F.lit(" "), "last"))'),
    ('u = F.udf(lambda a, b: "-".join([a, b]))\nresult = full.select(u("path", "pipes"))\n',
     'result = full.select(F.concat_ws("-", "path", "pipes"))'),
    ('u = F.udf(lambda s: "%s!" % s)\nresult = full.select(u("last"))\n',
     'result = full.select(F.concat("last", F.lit("!")))'),
    ('u = F.udf(lambda a, b: "{} <{}>".format(a, b))\nresult = full.select(u("last", "email"))\n',
     'result = full.select(F.concat("last", F.lit(" <"), "email", F.lit(">")))'),
    ('u = F.udf(lambda s: s.split("."), ArrayType(StringType()))\nresult = full.select(u("path"))\n',
     'result = full.select(F.split("path", r"\\."))'),
    ('u = F.udf(lambda s: s.split("|")[0])\nresult = full.select(u("pipes"))\n',
     'result = full.select(F.split("pipes", r"\\|").getItem(0))'),
    ('u = F.udf(lambda s: s.split("@")[-1])\nresult = full.select(u("email"))\n',
     'result = full.select(F.element_at(F.split("email", "@"), -1))'),
    ('u = F.udf(lambda s: s.split(".", 1), ArrayType(StringType()))\nresult = full.select(u("path"))\n',
     'result = full.select(F.split("path", r"\\.", 2))'),
    ('u = F.udf(lambda s: re.sub(r"\\s+", "_", s) if s is not None else None)\nresult = people.select(u("name"))\n',
     'result = people.select(F.regexp_replace("name", r"\\s+", "_"))'),
    ('u = F.udf(lambda s: re.sub(r"(\\w+)@(\\w+)", r"\\2 at \\1", s))\nresult = full.select(u("email"))\n',
     'result = full.select(F.regexp_replace("email", r"(\\w+)@(\\w+)", "$2 at $1"))'),
    ('u = F.udf(lambda s: s.replace(".", "/") if s is not None else None)\nresult = people.select(u("path"))\n',
     'result = people.select(F.regexp_replace("path", r"\\.", "/"))'),
    ('u = F.udf(lambda s: s.replace("|", "$"))\nresult = full.select(u("pipes"))\n',
     'result = full.select(F.regexp_replace("pipes", r"\\|", r"\\$"))'),
    ('u = F.udf(lambda s: s[:3] if s is not None else None)\nresult = people.select(u("last"))\n',
     'result = people.select(F.substring("last", 1, 3))'),
    ('u = F.udf(lambda s: s[-3:])\nresult = full.select(u("email"))\n',
     'result = full.select(F.substring("email", -3, 3))'),
    ('u = F.udf(lambda s: s[1:4])\nresult = full.select(u("email"))\n',
     'result = full.select(F.substring("email", 2, 3))'),
    ('u = F.udf(lambda s: s.startswith("a") if s is not None else None, BooleanType())\n'
     'result = people.select(u("email"))\n',
     'result = people.select(F.col("email").startswith("a"))'),
    ('u = F.udf(lambda s: s.endswith(".org"), BooleanType())\nresult = full.select(u(full.email))\n',
     'result = full.select(full.email.endswith(".org"))'),
    ('u = F.udf(lambda s: "@mail" in s, BooleanType())\nresult = full.select(u("email"))\n',
     'result = full.select(F.col("email").contains("@mail"))'),
    ('u = F.udf(lambda v: v is None, BooleanType())\nresult = people.select(u("name"))\n',
     'result = people.select(F.col("name").isNull())'),
    ('u = F.udf(lambda v: v is not None, BooleanType())\nresult = people.select(u("age"))\n',
     'result = people.select(F.col("age").isNotNull())'),
    ('u = F.udf(lambda v: v if v is not None else "unknown")\nresult = people.select(u("last"))\n',
     'result = people.select(F.coalesce("last", F.lit("unknown")))'),
    ('u = F.udf(lambda v: v or "n/a")\nresult = people.select(u("last"))\n',
     'result = people.select(F.coalesce("last", F.lit("n/a")))'),
    ('u = F.udf(lambda s: int(s) if s is not None else None, IntegerType())\nresult = people.select(u("code"))\n',
     'result = people.select(F.col("code").cast("int"))'),
    ('u = F.udf(lambda s: float(s), DoubleType())\nresult = full.select(u("code"))\n',
     'result = full.select(F.col("code").cast("double"))'),
    ('u = F.udf(lambda x: str(x) if x is not None else None)\nresult = people.select(u("age"))\n',
     'result = people.select(F.col("age").cast("string"))'),
    ('u = F.udf(lambda s: s.title())\nresult = full.select(u("name"))\n',
     'result = full.select(F.initcap("name"))'),
    ('u = F.udf(lambda s: s.lower().strip() if s is not None else None)\nresult = people.select(u("name"))\n',
     'result = people.select(F.trim(F.lower("name")))'),
    ('u = F.udf(lambda s: hashlib.md5(s.encode("utf-8")).hexdigest())\nresult = full.select(u("email"))\n',
     'result = full.select(F.md5("email"))'),
    ('u = F.udf(lambda s: hashlib.sha256(s.encode()).hexdigest())\nresult = full.select(u("email"))\n',
     'result = full.select(F.sha2("email", 256))'),
    ('u = F.udf(lambda s: hashlib.sha1(s.encode()).hexdigest())\nresult = full.select(u("email"))\n',
     'result = full.select(F.sha1("email"))'),
    ('u = F.udf(lambda d: d.year, IntegerType())\nresult = full.select(u("born"))\n',
     'result = full.select(F.year("born"))'),
    ('u = F.udf(lambda x: x * 2 + 1, IntegerType())\nresult = full.select(u("age"))\n',
     'result = full.select(F.col("age") * 2 + 1)'),
    ('u = F.udf(lambda x: x / 4, DoubleType())\nresult = full.select(u("age"))\n',
     'result = full.select(F.col("age") / 4)'),
    ('u = F.udf(lambda a, b: a + b, DoubleType())\nresult = full.select(u("age", "score"))\n',
     'result = full.select(F.col("age") + F.col("score"))'),
    ('u = F.udf(lambda x: x >= 18 if x is not None else None, BooleanType())\nresult = people.select(u("age"))\n',
     'result = people.select(F.col("age") >= 18)'),
    ('u = F.udf(lambda x: 18 <= x < 65, BooleanType())\nresult = full.select(u("age"))\n',
     'result = full.select((F.col("age") >= 18) & (F.col("age") < 65))'),
    ('u = F.udf(lambda s: s.strip().lower() in ("alice", "bob"), BooleanType())\nresult = full.select(u("name"))\n',
     'result = full.select(F.lower(F.trim("name")).isin("alice", "bob"))'),
    ('u = F.udf(lambda a, b: max(a, b), DoubleType())\nresult = full.select(u("age", "score"))\n',
     'result = full.select(F.greatest("age", "score"))'),
    ('u = F.udf(lambda x: "adult" if x >= 18 else "minor")\nresult = full.select(u("age"))\n',
     'result = full.select(F.when(F.col("age") >= 18, "adult").otherwise("minor"))'),
    ('def bucket(age):\n    if age is None:\n        return None\n    if age < 18:\n        return "minor"\n'
     '    elif age < 65:\n        return "adult"\n    return "senior"\n\n'
     'u = F.udf(bucket, StringType())\nresult = people.select(u("age"))\n',
     'result = people.select(F.when(F.col("age").isNull(), None).when(F.col("age") < 18, "minor")'
     '.when(F.col("age") < 65, "adult").otherwise("senior"))'),
    ('def label(s):\n    if s is None:\n        return "unknown"\n    return s.upper()\n\n'
     'u = F.udf(label)\nresult = people.select(u("last"))\n',
     'result = people.select(F.coalesce(F.upper("last"), F.lit("unknown")))'),
    ('def clean(s):\n    s = s.strip()\n    return s.lower()\n\nu = F.udf(clean)\nresult = full.select(u("name"))\n',
     'result = full.select(F.lower(F.trim("name")))'),
    ('u = F.udf(lambda s: len(s.split(".")), IntegerType())\nresult = full.select(u("path"))\n',
     'result = full.select(F.size(F.split("path", r"\\.")))'),
    ('u = F.udf(lambda ts: int(ts / 10), IntegerType())\nresult = full.select(u("age"))\n',
     'result = full.select((F.col("age") / 10).cast("int"))'),
    ('u = F.udf(lambda geo: geo.strip()[:2] if geo != None else "", StringType())\nresult = people.select(u("name"))\n',
     'result = people.select(F.coalesce(F.substring(F.trim("name"), 1, 2), F.lit("")))'),
    ('u = F.udf(lambda x: x > 20 if x is not None else False, BooleanType())\nresult = people.select(u("age"))\n',
     'result = people.select(F.coalesce(F.col("age") > 20, F.lit(False)))'),
    ('u = F.udf(lambda x: x is not None and x > 20, BooleanType())\nresult = people.select(u("age"))\n',
     'result = people.select(F.col("age").isNotNull() & (F.col("age") > 20))'),
]


def _group(frame: str) -> list[tuple[str, str]]:
    return [(body, rewritten) for body, rewritten in CASES if f"result = {frame}.select(" in body]


def _combined(cases: list[tuple[str, str]], frame: str) -> tuple[str, list[str]]:
    """All cases' UDFs (renamed u0, u1, ...) applied in one select: one Spark job per group."""
    defs, apps, expected = [], [], []
    for i, (body, rewritten) in enumerate(cases):
        head, _, app = body.rstrip("\n").rpartition("\n")
        defs.append(head.replace("u = ", f"u{i} = ").replace("def ", f"def f{i}_").replace("F.udf(", "F.udf(f%d_" % i)
                    if "\ndef " in "\n" + head or head.startswith("def ") else head.replace("u = ", f"u{i} = "))
        call = app.split(f"result = {frame}.select(", 1)[1][:-1]
        apps.append(call.replace("u(", f"u{i}(", 1) + f'.alias("c{i}")')
        rewritten = rewritten.split(f"result = {frame}.select(", 1)[1][:-1]
        if not isinstance(ast.parse(rewritten, mode="eval").body, ast.Call):
            rewritten = f"({rewritten})"  # an operator expression keeps its parentheses before .alias()
        expected.append(rewritten + f'.alias("c{i}")')
    src = "\n".join(defs) + f"\nresult = {frame}.select(\n    " + ",\n    ".join(apps) + ",\n)\n"
    return src, expected


@pytest.mark.parametrize("frame", ["people", "full"])
def test_rewrites_give_the_udf_results(spark, frame):
    cases = _group(frame)
    src, expected = _combined(cases, frame)
    fixed = _prove(spark, src)
    for e in expected:
        assert e in fixed, f"{e}\n--- not in ---\n{fixed}"


def test_decorated_udf_with_every_application_rewritten(spark):
    fixed = _prove(spark, '''
@F.udf(returnType=StringType())
def normalize(s):
    """Trim and lower-case."""
    if s is None:
        return None
    return s.strip().lower()

result = people.select(normalize("name").alias("n"), normalize(people.last).alias("l"))
''')
    assert ('result = people.select(F.lower(F.trim("name")).alias("n"), F.lower(F.trim(people.last)).alias("l"))'
            in fixed)


def test_bare_decorator_and_inline_application(spark):
    fixed = _prove(spark, '''
@F.udf
def domain(email):
    return email.split("@")[-1]

result = full.withColumn("d", domain(F.col("email"))).select("d", F.udf(lambda s: s.upper())(F.col("last")))
''')
    assert 'F.element_at(F.split(F.col("email"), "@"), -1)' in fixed
    assert 'F.upper(F.col("last"))' in fixed


def test_registered_udf_applied_through_its_handle(spark):
    fixed = _prove(spark, '''
to_upper = spark.udf.register("to_upper_405", lambda s: s.upper() if s else None)
result = people.select(to_upper("name"))
''')
    assert 'result = people.select(F.upper("name"))' in fixed


def test_names_imported_one_by_one_get_an_import(spark):
    src = DATA + '''
from pyspark.sql.functions import col, udf

trim_upper = udf(lambda s: s.strip().upper() if s is not None else None)
result = people.select(trim_upper(col("name")))
'''
    fixed = prove_fix(spark, "SPK405", src.replace("from pyspark.sql import functions as F\n", ""), unsafe=True)
    assert "from pyspark.sql.functions import col, udf, upper, trim\n" in fixed
    assert "result = people.select(upper(trim(col(\"name\"))))" in fixed


def test_pandas_udf_with_a_trivial_body(spark):
    fixed = _prove(spark, '''
import pandas as pd

@F.pandas_udf("string")
def upper_vec(s: pd.Series) -> pd.Series:
    return s.str.upper()

result = people.select(upper_vec("last"))
''')
    assert 'result = people.select(F.upper("last"))' in fixed


def test_udf_inside_a_function_taking_df(spark):
    fixed = _prove(spark, '''
def clean_names(df):
    strip_udf = F.udf(lambda s: s.strip() if s else s, StringType())
    return (
        df
        .withColumn("first", strip_udf("name"))
        .withColumn("last", strip_udf(df.last))
    )

result = clean_names(people)
''')
    assert '.withColumn("first", F.trim("name"))' in fixed
    assert '.withColumn("last", F.trim(df.last))' in fixed


def test_lambda_forwarding_to_a_def(spark):
    fixed = _prove(spark, '''
def shout(s):
    return s.upper() + "!"

shout_udf = F.udf(lambda z: shout(z), StringType())
result = full.select(shout_udf(F.col("last")))
''')
    assert 'result = full.select(F.concat(F.upper(F.col("last")), F.lit("!")))' in fixed


def test_star_import_uses_bare_names(spark):
    src = DATA + '''
from pyspark.sql.functions import *

up = udf(lambda s: s.upper() if s is not None else None)
result = people.select(up("name"), up(col("last")) == "SMITH")
'''
    src = src.replace("from pyspark.sql import functions as F\n", "")
    fixed = prove_fix(spark, "SPK405", src, unsafe=True)
    assert 'result = people.select(upper("name"), upper(col("last")) == "SMITH")' in fixed


def test_pandas_udf_arithmetic(spark):
    fixed = _prove(spark, '''
import pandas as pd

@F.pandas_udf("double")
def to_fahrenheit(c: pd.Series) -> pd.Series:
    return c * 1.8 + 32

result = people.select(to_fahrenheit("score"))
''')
    assert 'result = people.select(F.col("score") * 1.8 + 32)' in fixed


def test_parameter_with_the_same_name_is_left_alone(spark):
    fixed = _prove(spark, '''
up = F.udf(lambda s: s.upper() if s is not None else None)

def apply(df, up):
    return df.select(up("name"))

result = people.select(up("last")).union(apply(people, F.udf(lambda s: s)))
''')
    assert 'people.select(F.upper("last"))' in fixed
    assert 'return df.select(up("name"))' in fixed


def test_len_of_an_untyped_parameter_is_not_rewritten():
    """``len(s)``: ``length`` for a string column, ``size`` for an array: the message says both, no fix."""
    from sparkcoach.engine.lint import Settings, lint_source

    src = DATA + 'u = F.udf(lambda s: len(s), IntegerType())\nresult = full.select(u("words"))\n'
    [finding] = lint_source(src, "x.py", settings=Settings(select=("SPK405",)))
    assert finding.fix is None
    assert '`F.length("words")` for a string column, `F.size("words")` for an array' in finding.message
