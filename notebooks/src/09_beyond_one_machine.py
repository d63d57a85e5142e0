# teaches: SPK301, SPK202, SPK251
# shows: sees classic cluster Spark
# shows: Spark: connect
# shows: still running: []
# %% [markdown]
# # 9. Beyond one machine: a standalone cluster and Spark Connect
#
# The coach works the same whether the notebook's Spark runs inside the kernel (`local[2]`), on a cluster
# (a classic session whose driver is the kernel and whose executors run elsewhere) or behind a Spark
# Connect server (the kernel is only a thin client; the driver runs in the server). This notebook starts a
# small cluster on this machine, all on 127.0.0.1: a standalone master, one worker, and a Spark Connect
# server, from the `pyspark` package itself (`pip install pyspark` ships `bin/spark-class` and `sbin/`).
#
# On a real cluster you start nothing: you change the master URL (`spark://host:7077`, `yarn`,
# `k8s://...`) or the `sc://host:15002` URL, and the rest of the notebook stays as it is.

# %% [markdown]
# ## Starting the servers
#
# A few helpers. Logs and pid files go to a temporary folder; every process is stopped in the last cell,
# and again when the kernel exits (`atexit`) in case a cell fails before it.

# %%
import atexit, glob, json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
import pyspark

SPARK_HOME = os.path.dirname(pyspark.__file__)
WORK = tempfile.mkdtemp(prefix="sparkcoach-09-")
ENV = {**os.environ, "SPARK_HOME": SPARK_HOME, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
       "SPARK_LOG_DIR": f"{WORK}/logs", "SPARK_PID_DIR": f"{WORK}/pids", "SPARK_WORKER_DIR": f"{WORK}/work"}
procs, timings, T0 = [], {}, time.monotonic()


def lap(part):  # the seconds since the previous lap, under the name of what they were spent on
    timings[part] = time.monotonic() - T0 - sum(timings.values())


def free_ports(n):  # n distinct ports nobody listens on (held together while picking)
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(ready, what, timeout=180):
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what} not ready after {timeout} s; logs in {WORK}")
        time.sleep(0.25)


def spark_class(*args, log):  # a JVM in its own process group, so a kernel interrupt does not reach it
    with open(f"{WORK}/{log}", "wb") as out:
        procs.append(subprocess.Popen([f"{SPARK_HOME}/bin/spark-class", *args], env=ENV, stdout=out,
                                      stderr=subprocess.STDOUT, start_new_session=True))


def running(pid):  # a process that exited but was not reaped yet (a zombie) counts as stopped
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout
    return state.strip() != "" and not state.strip().startswith("Z")


def stop_all():
    for pid_file in glob.glob(f"{WORK}/pids/*.pid"):  # the Connect server, started as a daemon
        pid = int(open(pid_file).read())
        subprocess.run(["bash", f"{SPARK_HOME}/sbin/stop-connect-server.sh"], env=ENV, capture_output=True)
        try:
            wait_for(lambda: not running(pid), "Spark Connect server to stop", timeout=30)
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
    for p in reversed(procs):  # the worker first: it stops the executors it launched
        p.terminate()
    for p in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    shutil.rmtree(WORK, ignore_errors=True)


atexit.register(stop_all)

# %% [markdown]
# The master and the Spark Connect server start together; once the master listens, the worker (2 cores,
# 2 GB for executors) registers with it. The Connect server is a Spark driver of its own; here it runs
# its queries on `local[2]` inside the server process, which saves starting more executors on this small
# machine (with `--master spark://...` it would run them on the cluster). It listens on a port of its own
# (`spark.connect.grpc.binding.port`, 15002 by default) and keeps its Spark UI on a known port, where the
# coach reads the figures of the jobs a cell ran. It starts in the background while we use the cluster.

# %%
MASTER_PORT, MASTER_UI_PORT, WORKER_UI_PORT, CONNECT_PORT, CONNECT_UI_PORT = free_ports(5)
MASTER = f"spark://127.0.0.1:{MASTER_PORT}"
spark_class("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(MASTER_PORT),
            "--webui-port", str(MASTER_UI_PORT), log="master.log")
subprocess.run(["bash", f"{SPARK_HOME}/sbin/start-connect-server.sh", "--master", "local[2]",
                "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                "--conf", f"spark.connect.grpc.binding.port={CONNECT_PORT}",
                "--conf", f"spark.ui.port={CONNECT_UI_PORT}",
                "--conf", "spark.sql.shuffle.partitions=4"], env=ENV, check=True, capture_output=True)
CONNECT_PID = int(open(glob.glob(f"{WORK}/pids/*.pid")[0]).read())
wait_for(lambda: port_open(MASTER_PORT), "standalone master")
spark_class("org.apache.spark.deploy.worker.Worker", MASTER, "--host", "127.0.0.1", "--cores", "2",
            "--memory", "2g", "--webui-port", str(WORKER_UI_PORT), log="worker.log")
wait_for(lambda: "Successfully registered with master" in open(f"{WORK}/worker.log").read(), "worker")
lap("master and worker start")
print(f"{MASTER}: master and worker ready in {timings['master and worker start']:.0f} s")

# %% [markdown]
# ## A classic session on the cluster
#
# The same builder as in the other notebooks, with the cluster's URL as master. Two settings matter on a
# shared standalone cluster: `spark.cores.max` (by default an application takes *every* free core, and the
# next one waits) and `spark.executor.memory`, which must fit in what the worker offers, or the application
# waits for resources forever.

# %%
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

spark = (SparkSession.builder.master(MASTER).appName("sparkcoach-09")
         .config("spark.cores.max", "2").config("spark.executor.memory", "512m")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.showConsoleProgress", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
lap("classic session start")
print(spark.sparkContext.master, f"session in {timings['classic session start']:.0f} s")

# %%
%load_ext sparkcoach

# %% [markdown]
# ## A join without a broadcast, on the cluster
#
# A million people (Spark estimates the columns the query reads at 12 MB, over the 10 MB
# `autoBroadcastJoinThreshold`) and 50 states typed in as a Python list, which Spark cannot size: the join
# plans as a sort-merge join that shuffles both sides (SPK301, see [02_joins](02_joins.ipynb)). On a
# cluster that shuffle is network traffic between executors; broadcasting the 50 rows sends them once to
# each executor instead.

# %%
people = spark.range(1_000_000).selectExpr("id", "id % 50 AS state_id", "id % 97 AS age")
states = spark.createDataFrame([(i, f"state_{i:02d}") for i in range(50)], ["state_id", "name"])

# %%
%%sparklint --measure --runs 3
by_state = (people.join(states, "state_id").groupBy("name")
            .agg(F.count("*").alias("people"), F.avg("age").alias("avg_age")))
rows = by_state.collect()
len(rows)

# %% [markdown]
# The view's header names the Spark it saw (a classic session, master `spark://...`), and the job figures
# come from the driver, which is this kernel, as on `local[2]`. Here the cluster is one worker with
# two cores on the same machine, so the shuffle goes through local disk and loopback: the time the broadcast
# saves may be small, and the verdict may be "no measurable difference". Read the *shuffle bytes* and the
# *stages*: the rewrite does not shuffle the people at all, and that saving grows with every executor and
# every gigabyte on a real cluster.
#
# The rewritten cell, silent:

# %%
%%sparklint
by_state = (people.join(F.broadcast(states), "state_id").groupBy("name")
            .agg(F.count("*").alias("people"), F.avg("age").alias("avg_age")))
rows = by_state.collect()
len(rows)

# %% [markdown]
# ## Switching to Spark Connect
#
# A kernel holds one classic `SparkContext`, and `SparkSession.builder.remote(...)` refuses to start
# while one is alive: stop it first. (The Spark Connect server started above is a separate driver, the
# one that will run our queries from now on.) After `.remote(...)`, pyspark runs in Connect mode for the
# rest of the process: `functions as F`, imported above, now builds Connect columns, and going back to a
# classic session takes a kernel restart.

# %%
lap("coaching on the cluster")
spark.stop()
wait_for(lambda: port_open(CONNECT_PORT), "Spark Connect server")
spark = SparkSession.builder.remote(f"sc://127.0.0.1:{CONNECT_PORT}").getOrCreate()
lap("switch to Spark Connect")
print(type(spark).__module__, spark.version, f"session in {timings['switch to Spark Connect']:.0f} s")
ui = f"http://127.0.0.1:{CONNECT_UI_PORT}"  # the server's Spark UI; its first answer can take a while
apps = json.load(urllib.request.urlopen(f"{ui}/api/v1/applications", timeout=60))
print("Spark UI of the server:", ui, [app["name"] for app in apps])

# %% [markdown]
# The client sends unresolved plans over gRPC; the server runs them. The coach has no JVM to walk in this
# process, so it reads plans from the server's `explain` text, and the jobs a cell ran from the server's
# Spark UI. For a server on this machine it finds the UI by the server's `spark.ui.port` (set it, as above:
# when 4040 is taken, Spark moves the UI to another port and the setting no longer says where it is). For
# a remote server, give the address (`%config SparkCoach.spark_ui = "http://host:4040"`); without a UI, the
# shuffle and spill figures come from the plan metrics the server returns with each result
# (`DataFrame.executionInfo`). The rules are the same.
#
# ## A sort before a groupBy, through Spark Connect
#
# The sort is thrown away by the `groupBy`'s own shuffle (SPK202, see [03_shuffles](03_shuffles.ipynb)).
# DataFrames of a classic session do not carry over: build the data again on the new session.

# %%
events = spark.range(300_000).selectExpr("id", "id % 1000 AS user",
    "CAST(id % 997 AS DOUBLE) / 7 AS amount", "(id * 7919) % 1000003 AS ts")

# %%
%%sparklint --measure --runs 3
totals = events.orderBy("ts").groupBy("user").agg(F.sum("amount").alias("total"))
rows = totals.collect()
len(rows)

# %% [markdown]
# The summary now says `Spark: connect`. The measurement runs both variants on the server, each run tagged
# so that `--timeout` or an interrupt cancels exactly its jobs, and compares their rows with the same result
# check. Compare the shuffle bytes of the two variants: the rewrite skips the sort's range shuffle of every
# row and sends one partial sum per user and partition.
#
# `%sparkcoach explain` works on a Connect DataFrame too: the plan comes from the server's `explain` text,
# and the plan rule finds the wasted sort there (SPK251), without running a job.

# %%
%sparkcoach explain totals

# %% [markdown]
# The rewritten cell, silent:

# %%
%%sparklint
totals = events.groupBy("user").agg(F.sum("amount").alias("total"))
rows = totals.collect()
len(rows)

# %% [markdown]
# ## Stopping everything
#
# The client session first (`stop()` on a client whose server is gone retries for minutes), then the
# Connect server, the worker (it stops its executors) and the master. The times of each part of this run:

# %%
lap("coaching through Spark Connect")
spark.stop()
stop_all()
lap("stopping everything")
for part, seconds in [*timings.items(), ("whole notebook", sum(timings.values()))]:
    print(f"{part:32} {seconds:5.1f} s")
print("still running:", [pid for pid in [CONNECT_PID, *(p.pid for p in procs)] if running(pid)])

# %% [markdown]
# The time goes to starting JVMs (the master, the worker, the Connect server, the driver and its
# executor) and to the measured runs. On a real cluster the servers are already running, and the same
# cells run against `spark://host:7077` or `sc://host:15002`.
#
# Next: back to [01_first_steps](01_first_steps.ipynb), or the rules themselves: `%sparkcoach rules`.
