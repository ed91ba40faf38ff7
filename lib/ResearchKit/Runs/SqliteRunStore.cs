using System.Globalization;
using Microsoft.Data.Sqlite;
using ResearchKit.Tensors;
using ResearchKit.Tensors.Serialization;

namespace ResearchKit.Runs;

/// <summary>
/// <see cref="IRunStore"/> in an embedded SQLite database <c>&lt;runsDir&gt;/runs.db</c>; checkpoints and artifacts
/// live under <c>&lt;runsDir&gt;/&lt;runId&gt;/</c>.
/// </summary>
/// <remarks>
/// <para>Concurrency: the database runs in WAL mode with a 10 s busy timeout and every write is one
/// <c>BEGIN IMMEDIATE</c> transaction, so several processes (and several store instances) can share a runs
/// directory without corrupting it; readers see committed data only. One instance holds one connection and is
/// thread-safe (calls are serialized). <c>synchronous = NORMAL</c>: a process crash loses nothing committed; a power
/// loss may drop the last transactions but never corrupts the database.</para>
/// <para>Leases: <see cref="StartOrResume"/> makes this store the owner of a Running run (process identity plus a random
/// token per lease, both in the <c>runs</c> row); every write to the run checks both in its transaction and throws
/// <see cref="RunLeaseLostException"/> once another process has taken the run over, so a trainer that lost its lease
/// writes nothing more.</para>
/// <para>Metric values are REAL; NaN (which SQLite stores as NULL) reads back as <see cref="double.NaN"/>.</para>
/// <para>Paths inside the runs directory are stored relative to it, so the directory can be moved or copied.</para>
/// </remarks>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>File name of the database inside the runs directory.</summary>
    public const string DatabaseFileName = "runs.db";

    /// <summary>Metadata key under which a checkpoint file records its step (reserved).</summary>
    public const string StepMetadataKey = "researchkit.step";

    /// <summary>Metadata key under which a checkpoint file records its run id (reserved).</summary>
    public const string RunIdMetadataKey = "researchkit.run_id";

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private int _keepCheckpoints = 2;
    // Lease token this store holds per run (issued by StartOrResume); writes must match the row's token.
    private readonly Dictionary<long, string> _leases = new();
    private bool _disposed;

    // No explicit SQLitePCL.Batteries_V2.Init(): Microsoft.Data.Sqlite calls it itself (loading the bundle by name),
    // and a second, direct call makes a notebook kernel that #r's the kit load SQLitePCLRaw twice, in two load
    // contexts (EntryPointNotFoundException in sqlite3_libversion_number).

    private TimeSpan _leaseTimeout = TimeSpan.FromMinutes(2);

    private SqliteRunStore(string runsDirectory, SqliteConnection connection)
    {
        RunsDirectory = runsDirectory;
        _connection = connection;
    }

    /// <summary>Absolute path of the runs directory.</summary>
    public string RunsDirectory { get; }

    /// <summary>Absolute path of <c>runs.db</c>.</summary>
    public string DatabasePath => Path.Combine(RunsDirectory, DatabaseFileName);

    /// <summary>Schema version this code writes (<c>PRAGMA user_version</c>).</summary>
    public static int SchemaVersion => RunStoreSchema.Migrations.Count;

    /// <summary>How many checkpoints per run <see cref="SaveCheckpoint"/> keeps (newest steps; at least 1, default 2).</summary>
    public int KeepCheckpoints
    {
        get => _keepCheckpoints;
        set => _keepCheckpoints = value >= 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "SqliteRunStore.KeepCheckpoints must be at least 1 (the checkpoint a run resumes from).");
    }

    /// <summary>
    /// How long a Running run stays leased to its process after the last heartbeat (default 2 minutes). Past it, or at
    /// once when the owner was a process of this machine that is gone, another process may resume the run.
    /// </summary>
    public TimeSpan LeaseTimeout
    {
        get => _leaseTimeout;
        set => _leaseTimeout = value > TimeSpan.Zero ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "SqliteRunStore.LeaseTimeout must be positive.");
    }

    /// <summary>The identity this store writes into leases (this process; tests substitute others).</summary>
    internal RunOwner Owner { get; set; } = RunOwner.Current;

    /// <inheritdoc/>
    public TimeSpan HeartbeatInterval => _leaseTimeout / 4;

    /// <summary>Receives warnings (unreadable checkpoint skipped, file that could not be deleted). Default: standard error.</summary>
    public Action<string> Warning { get; set; } = static message => Console.Error.WriteLine($"warning: {message}");

    /// <summary>Opens (creating if needed) the store in <paramref name="runsDir"/>, migrating its schema to the current version.</summary>
    /// <exception cref="NotSupportedException">The database was written by a newer ResearchKit (higher schema version).</exception>
    public static SqliteRunStore Open(string runsDir) => Open(runsDir, RunStoreSchema.Migrations);

    /// <summary>Opens with an explicit migration list (tests exercise the upgrade path with it).</summary>
    internal static SqliteRunStore Open(string runsDir, IReadOnlyList<RunStoreSchema.Migration> migrations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runsDir);
        string dir = Path.GetFullPath(runsDir);
        Directory.CreateDirectory(dir);
        string dbPath = Path.Combine(dir, DatabaseFileName);
        var csb = new SqliteConnectionStringBuilder
        {
            DataSource = dbPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,        // one long-lived connection per store; Dispose releases the file
            DefaultTimeout = 60,    // Microsoft.Data.Sqlite retries SQLITE_BUSY up to this many seconds
        };
        var connection = new SqliteConnection(csb.ToString());
        try
        {
            connection.Open();
            // busy_timeout makes SQLite itself wait for another process' write lock instead of failing at once.
            RunStoreSchema.Execute(connection, null, "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;");
            // WAL: readers never block the writer and a crash mid-write leaves the last committed state.
            RunStoreSchema.Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
            RunStoreSchema.Migrate(connection, migrations, dbPath);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
        return new SqliteRunStore(dir, connection);
    }

    /// <summary>Directory of a run's checkpoints and artifacts (<c>&lt;runsDir&gt;/&lt;runId&gt;</c>; not created).</summary>
    public string RunDirectory(long runId) => Path.Combine(RunsDirectory, runId.ToString(CultureInfo.InvariantCulture));

    /// <inheritdoc/>
    public RunRecord? Find(string configHash)
    {
        ArgumentNullException.ThrowIfNull(configHash);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: true); // one consistent snapshot for run + final metrics
            var run = QueryRuns(tx, "WHERE config_hash = $p ORDER BY id DESC LIMIT 1", configHash);
            return run.Count == 0 ? null : run[0];
        }
    }

    /// <inheritdoc/>
    public RunRecord? FindStale(string configJson)
    {
        ArgumentNullException.ThrowIfNull(configJson);
        string? key = RunConfig.KeyWithoutCodeVersion(configJson), version = RunConfig.CodeVersionOf(configJson);
        if (key is null || version is null) return null;
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: true);
            // code_version NULL: a config recorded without one is another version too.
            var run = QueryRuns(tx, "WHERE config_key = $p AND status = 'Completed' AND (code_version IS NULL OR code_version <> $v) ORDER BY id DESC LIMIT 1",
                key, staleAgainst: version, extra: ("$v", version));
            return run.Count == 0 ? null : run[0];
        }
    }

    /// <inheritdoc/>
    public RunRecord? Get(long runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: true);
            var run = QueryRuns(tx, "WHERE id = $p", runId, staleAgainst: RunConfig.DefaultCodeVersion);
            return run.Count == 0 ? null : run[0];
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<RunRecord> List()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: true);
            return QueryRuns(tx, "ORDER BY id DESC", null, staleAgainst: RunConfig.DefaultCodeVersion);
        }
    }

    /// <summary>
    /// Returns the newest run with this config hash when there is one: a Completed run as is (the caller shows its
    /// stored result), a Running run as is (resume), a Failed run switched back to Running with its error cleared
    /// (resume). Otherwise inserts a new Running run. Atomic: concurrent callers with the same config get the same run.
    /// The caller becomes the run's lease owner; a Running run whose owner is another live process is refused.
    /// </summary>
    /// <exception cref="RunLeasedException">Another live process trains this run (see <see cref="LeaseTimeout"/>).</exception>
    /// <exception cref="ArgumentException"><paramref name="configHash"/> is not the SHA-256 of <paramref name="configJson"/> (use <see cref="RunConfig"/>).</exception>
    public RunRecord StartOrResume(string configHash, string configJson)
    {
        ArgumentNullException.ThrowIfNull(configHash);
        ArgumentNullException.ThrowIfNull(configJson);
        string actual = RunConfig.HashOf(configJson);
        if (!string.Equals(actual, configHash, StringComparison.Ordinal))
            throw new ArgumentException(
                $"SqliteRunStore.StartOrResume: config hash '{configHash}' is not the SHA-256 of the given JSON ('{actual}'); " +
                "pass RunConfig.Hash and RunConfig.Json of the same RunConfig (arguments swapped?).", nameof(configHash));
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            var existing = QueryRuns(tx, "WHERE config_hash = $p ORDER BY id DESC LIMIT 1", configHash);
            long id;
            var now = DateTime.UtcNow;
            string token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            if (existing.Count == 1)
            {
                var run = existing[0];
                if (run.Status == RunStatus.Completed) return run; // read-only transaction: nothing to commit
                id = run.Id;
                if (run.Status == RunStatus.Running) ThrowIfLeasedByOther(tx, id, now);
                using var upd = Command(tx, "UPDATE runs SET status = $s, ended_utc = NULL, error = NULL, owner = $o, heartbeat_utc = $t, lease_token = $k WHERE id = $id;");
                upd.Parameters.AddWithValue("$k", token);
                upd.Parameters.AddWithValue("$s", nameof(RunStatus.Running));
                upd.Parameters.AddWithValue("$o", Owner.ToString());
                upd.Parameters.AddWithValue("$t", FormatTime(now));
                upd.Parameters.AddWithValue("$id", id);
                upd.ExecuteNonQuery();
            }
            else
            {
                using var ins = Command(tx, "INSERT INTO runs(config_hash, config_json, status, started_utc, owner, heartbeat_utc, lease_token, config_key, code_version) " +
                    "VALUES($h, $j, $s, $t, $o, $t, $k, $ck, $cv) RETURNING id;");
                ins.Parameters.AddWithValue("$k", token);
                ins.Parameters.AddWithValue("$ck", (object?)RunConfig.KeyWithoutCodeVersion(configJson) ?? DBNull.Value);
                ins.Parameters.AddWithValue("$cv", (object?)RunConfig.CodeVersionOf(configJson) ?? DBNull.Value);
                ins.Parameters.AddWithValue("$h", configHash);
                ins.Parameters.AddWithValue("$j", configJson);
                ins.Parameters.AddWithValue("$s", nameof(RunStatus.Running));
                ins.Parameters.AddWithValue("$t", FormatTime(now));
                ins.Parameters.AddWithValue("$o", Owner.ToString());
                id = (long)ins.ExecuteScalar()!;
            }
            var result = QueryRuns(tx, "WHERE id = $p", id)[0];
            tx.Commit();
            _leases[id] = token;
            return result;
        }
    }

    /// <summary>
    /// Throws <see cref="RunLeasedException"/> when a Running run belongs to another process that is still alive: its
    /// heartbeat is younger than <see cref="LeaseTimeout"/> and, when it ran on this machine, the process still exists.
    /// A run without a lease (written before leases existed) is free.
    /// </summary>
    /// <param name="tx">The caller's write transaction.</param>
    /// <param name="runId">The run.</param>
    /// <param name="now">Current time.</param>
    /// <param name="takingOver">True when the caller resumes the run (a takeover of a dead owner's lease is then reported).</param>
    private void ThrowIfLeasedByOther(SqliteTransaction tx, long runId, DateTime now, bool takingOver = true)
    {
        using var cmd = Command(tx, "SELECT owner, heartbeat_utc FROM runs WHERE id = $r;");
        cmd.Parameters.AddWithValue("$r", runId);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read() || reader.IsDBNull(0) || reader.IsDBNull(1)) return;
        string ownerText = reader.GetString(0);
        if (ownerText == Owner.ToString()) return; // our own lease (e.g. a retry in the same process)
        var heartbeat = ParseTime(reader.GetString(1));
        var owner = RunOwner.Parse(ownerText);
        bool alive = owner is not null && now - heartbeat < _leaseTimeout && !owner.IsGoneFromThisHost();
        if (alive) throw new RunLeasedException(runId, owner, heartbeat, _leaseTimeout);
        if (owner is not null && takingOver)
            Warning($"run {runId}: taking over the lease of process {owner.ProcessId} on {owner.Host} (last heartbeat {heartbeat:u}; the process is gone or silent); resuming from the last checkpoint.");
    }

    /// <inheritdoc/>
    public bool Heartbeat(long runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!_leases.TryGetValue(runId, out string? token)) return false;
            using var cmd = Command(null, "UPDATE runs SET heartbeat_utc = $t WHERE id = $r AND owner = $o AND lease_token = $k AND status = $s;");
            cmd.Parameters.AddWithValue("$k", token);
            cmd.Parameters.AddWithValue("$t", FormatTime(DateTime.UtcNow));
            cmd.Parameters.AddWithValue("$r", runId);
            cmd.Parameters.AddWithValue("$o", Owner.ToString());
            cmd.Parameters.AddWithValue("$s", nameof(RunStatus.Running));
            return cmd.ExecuteNonQuery() == 1;
        }
    }

    /// <summary>Appends metric points in one transaction with one prepared statement (cheap enough to call every step).</summary>
    /// <exception cref="RunLeaseLostException">This store does not hold the run's lease (taken over by another process, or never started here); nothing was written.</exception>
    public void LogMetrics(long runId, IReadOnlyList<MetricPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        for (int i = 0; i < points.Count; i++)
            if (points[i].Name is null)
                throw new ArgumentException($"SqliteRunStore.LogMetrics: point {i} (step {points[i].Step}) has no name.", nameof(points));
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureLease(tx, runId, nameof(LogMetrics));
            if (points.Count > 0)
            {
                using var cmd = Command(tx, "INSERT INTO metrics(run_id, step, name, value) VALUES($r, $s, $n, $v);");
                cmd.Parameters.AddWithValue("$r", runId);
                var step = cmd.Parameters.Add("$s", SqliteType.Integer);
                var name = cmd.Parameters.Add("$n", SqliteType.Text);
                var value = cmd.Parameters.Add("$v", SqliteType.Real);
                cmd.Prepare();
                foreach (var p in points)
                {
                    step.Value = p.Step;
                    name.Value = p.Name;
                    value.Value = double.IsNaN(p.Value) ? DBNull.Value : p.Value;
                    cmd.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
    }

    /// <summary>The metric series of a run ordered by step, then by logging order (optionally one metric).</summary>
    public IReadOnlyList<MetricPoint> Metrics(long runId, string? name = null)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = Command(null, name is null
                ? "SELECT step, name, value FROM metrics WHERE run_id = $r ORDER BY step, rowid;"
                : "SELECT step, name, value FROM metrics WHERE run_id = $r AND name = $n ORDER BY step, rowid;");
            cmd.Parameters.AddWithValue("$r", runId);
            if (name is not null) cmd.Parameters.AddWithValue("$n", name);
            var list = new List<MetricPoint>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                list.Add(new MetricPoint(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2)));
            return list;
        }
    }

    /// <summary>
    /// Writes <c>&lt;runsDir&gt;/&lt;runId&gt;/ckpt-&lt;step&gt;.safetensors</c> atomically (temp file + rename), with the
    /// metadata plus <see cref="StepMetadataKey"/>/<see cref="RunIdMetadataKey"/> and a SHA-256 checksum of the contents
    /// (<see cref="SafeTensorsChecksum.MetadataKey"/>) in <c>__metadata__</c>, then records it.
    /// In the same transaction it forgets checkpoints with a later step (an abandoned continuation, e.g. after falling
    /// back from a corrupt file) and all but the newest <see cref="KeepCheckpoints"/>; their files are deleted after commit.
    /// </summary>
    /// <exception cref="ArgumentException">Negative step or a reserved metadata key.</exception>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    /// <exception cref="RunLeaseLostException">This store does not hold the run's lease (taken over by another process, or never started here); nothing was written.</exception>
    public void SaveCheckpoint(long runId, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.Step < 0)
            throw new ArgumentException($"SqliteRunStore.SaveCheckpoint: step {checkpoint.Step} is negative; pass the number of completed steps.", nameof(checkpoint));
        var metadata = new Dictionary<string, string>(checkpoint.Metadata.Count + 2, StringComparer.Ordinal);
        foreach (var (k, v) in checkpoint.Metadata)
        {
            if (k is StepMetadataKey or RunIdMetadataKey or SafeTensorsChecksum.MetadataKey)
                throw new ArgumentException($"SqliteRunStore.SaveCheckpoint: metadata key '{k}' is reserved by the run store; rename it.", nameof(checkpoint));
            metadata[k] = v;
        }
        metadata[StepMetadataKey] = checkpoint.Step.ToString(CultureInfo.InvariantCulture);
        metadata[RunIdMetadataKey] = runId.ToString(CultureInfo.InvariantCulture);

        string relative = CheckpointRelativePath(runId, checkpoint.Step);
        var removed = new List<string>();
        lock (_lock)
        {
            ThrowIfDisposed();
            // Checked before the file is written (a taken-over run's files belong to the new owner) and again when recorded.
            using (var check = _connection.BeginTransaction(deferred: true)) EnsureLease(check, runId, nameof(SaveCheckpoint));
            Directory.CreateDirectory(RunDirectory(runId));
            // The file is complete on disk before the row that makes it visible is committed.
            CheckpointFile.Write(Path.Combine(RunsDirectory, relative), checkpoint.Tensors, metadata);

            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureLease(tx, runId, nameof(SaveCheckpoint));
            using (var ins = Command(tx, "INSERT OR REPLACE INTO checkpoints(run_id, step, path, created_utc) VALUES($r, $s, $p, $t);"))
            {
                ins.Parameters.AddWithValue("$r", runId);
                ins.Parameters.AddWithValue("$s", checkpoint.Step);
                ins.Parameters.AddWithValue("$p", relative);
                ins.Parameters.AddWithValue("$t", FormatTime(DateTime.UtcNow));
                ins.ExecuteNonQuery();
            }
            var stale = new List<long>();
            using (var sel = Command(tx, "SELECT step, path FROM checkpoints WHERE run_id = $r ORDER BY step DESC;"))
            {
                sel.Parameters.AddWithValue("$r", runId);
                using var reader = sel.ExecuteReader();
                int kept = 0;
                while (reader.Read())
                {
                    long step = reader.GetInt64(0);
                    if (step <= checkpoint.Step && kept < _keepCheckpoints) { kept++; continue; }
                    stale.Add(step);
                    removed.Add(reader.GetString(1));
                }
            }
            foreach (long step in stale)
            {
                using var del = Command(tx, "DELETE FROM checkpoints WHERE run_id = $r AND step = $s;");
                del.Parameters.AddWithValue("$r", runId);
                del.Parameters.AddWithValue("$s", step);
                del.ExecuteNonQuery();
            }
            tx.Commit();
        }
        foreach (string path in removed)
        {
            if (string.Equals(path, relative, StringComparison.Ordinal)) continue;
            TryDeleteFile(Path.Combine(RunsDirectory, path));
        }
    }

    /// <summary>
    /// Loads the newest recorded checkpoint that is intact. Every file is verified against the SHA-256 checksum written
    /// with it (<see cref="CheckpointFile"/>). A corrupt one (checksum mismatch, truncated, garbage header, another
    /// step's file) is moved aside to <c>*.corrupt</c> and forgotten by the store, so no later retry resumes from it,
    /// and the previous checkpoint is tried; a missing file is forgotten the same way. A <see cref="Warning"/> names the
    /// bad file, the step it held and the step resumed from. Null when no intact checkpoint remains: the run restarts
    /// from step 0 (with a warning), which, training being deterministic, reproduces what the lost checkpoints held.
    /// A file written without a checksum (older ResearchKit) is loaded with a one-line note.
    /// The reserved step/run-id/checksum metadata keys are removed from the returned metadata.
    /// </summary>
    /// <remarks>A file that exists but cannot be read for another reason (permissions, a transient I/O error) is
    /// skipped with a warning but kept and still recorded: it is not known to be corrupt.</remarks>
    public Checkpoint? LatestCheckpoint(long runId)
    {
        var rows = new List<(long Step, string Path)>();
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = Command(null, "SELECT step, path FROM checkpoints WHERE run_id = $r ORDER BY step DESC;");
            cmd.Parameters.AddWithValue("$r", runId);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) rows.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        var bad = new List<string>(); // "checkpoint '<file>' (step N) is ...", completed with the step resumed from
        foreach (var (step, relative) in rows)
        {
            string path = Path.Combine(RunsDirectory, relative);
            try
            {
                var file = CheckpointFile.Read(path);
                if (!file.Metadata.TryGetValue(StepMetadataKey, out string? s) || s != step.ToString(CultureInfo.InvariantCulture))
                    throw new CheckpointCorruptException(path, $"its {StepMetadataKey} metadata is '{s ?? "missing"}', expected {step} (a file of another step or run copied over it)");
                var userMeta = new Dictionary<string, string>(file.Metadata.Count, StringComparer.Ordinal);
                foreach (var (k, v) in file.Metadata)
                    if (k is not (StepMetadataKey or RunIdMetadataKey)) userMeta[k] = v;
                foreach (string b in bad) Warning($"run {runId}: {b}; falling back: resuming from step {step} ('{path}').");
                if (!file.Verified)
                    Warning($"run {runId}: note: checkpoint '{path}' (step {step}) has no checksum (written by an older ResearchKit); loaded unverified, later checkpoints carry one.");
                return new Checkpoint(step, file.Tensors, userMeta);
            }
            catch (CheckpointCorruptException ex)
            {
                string? aside = CheckpointFile.MoveAside(path);
                Forget(runId, step, relative);
                bad.Add($"checkpoint '{path}' (step {step}) is corrupt ({ex.Reason}); " +
                        (aside is null ? "it could not be moved aside" : $"kept aside as '{Path.GetFileName(aside)}'") + " and no longer used");
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                Forget(runId, step, relative);
                bad.Add($"checkpoint '{path}' (step {step}) is missing; no longer used");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                bad.Add($"checkpoint '{path}' (step {step}) is unreadable now ({ex.Message}); skipped but kept");
            }
        }
        foreach (string b in bad) Warning($"run {runId}: {b}; falling back: no intact checkpoint is left, restarting from step 0.");
        if (bad.Count > 0)
            Warning($"run {runId}: no readable checkpoint among {rows.Count}; the run restarts from the beginning (training is deterministic, " +
                    "so it reproduces the lost steps; the bad files are kept aside as *.corrupt for inspection).");
        return null;
    }

    /// <summary>Removes a checkpoint row (only if it still names that file), so the store stops offering it.</summary>
    private void Forget(long runId, long step, string relative)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            using var del = Command(tx, "DELETE FROM checkpoints WHERE run_id = $r AND step = $s AND path = $p;");
            del.Parameters.AddWithValue("$r", runId);
            del.Parameters.AddWithValue("$s", step);
            del.Parameters.AddWithValue("$p", relative);
            del.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>Steps of the recorded checkpoints of a run, newest first.</summary>
    public IReadOnlyList<long> CheckpointSteps(long runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = Command(null, "SELECT step FROM checkpoints WHERE run_id = $r ORDER BY step DESC;");
            cmd.Parameters.AddWithValue("$r", runId);
            var steps = new List<long>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) steps.Add(reader.GetInt64(0));
            return steps;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="RunLeaseLostException">This store does not hold the run's lease (taken over by another process, or never started here); nothing was written.</exception>
    public void TruncateMetrics(long runId, long step)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureLease(tx, runId, nameof(TruncateMetrics));
            using var cmd = Command(tx, "DELETE FROM metrics WHERE run_id = $r AND step > $s;");
            cmd.Parameters.AddWithValue("$r", runId);
            cmd.Parameters.AddWithValue("$s", step);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>Marks the run completed and replaces its final metrics (NaN allowed), in one transaction.</summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    /// <exception cref="RunLeaseLostException">This store does not hold the run's lease (taken over by another process, or never started here); nothing was written.</exception>
    public void Complete(long runId, IReadOnlyDictionary<string, double> finalMetrics)
    {
        ArgumentNullException.ThrowIfNull(finalMetrics);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureLease(tx, runId, nameof(Complete));
            using (var del = Command(tx, "DELETE FROM final_metrics WHERE run_id = $r;"))
            {
                del.Parameters.AddWithValue("$r", runId);
                del.ExecuteNonQuery();
            }
            using (var ins = Command(tx, "INSERT INTO final_metrics(run_id, name, value) VALUES($r, $n, $v);"))
            {
                ins.Parameters.AddWithValue("$r", runId);
                var name = ins.Parameters.Add("$n", SqliteType.Text);
                var value = ins.Parameters.Add("$v", SqliteType.Real);
                foreach (var (k, v) in finalMetrics)
                {
                    name.Value = k;
                    value.Value = double.IsNaN(v) ? DBNull.Value : v;
                    ins.ExecuteNonQuery();
                }
            }
            SetStatus(tx, runId, RunStatus.Completed, null);
            tx.Commit();
        }
    }

    /// <summary>Marks the run failed with an error message (a later <see cref="StartOrResume"/> resumes it).</summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    /// <exception cref="RunLeaseLostException">This store does not hold the run's lease (taken over by another process, or never started here); nothing was written.</exception>
    public void Fail(long runId, string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureLease(tx, runId, nameof(Fail));
            SetStatus(tx, runId, RunStatus.Failed, error);
            tx.Commit();
        }
    }

    /// <summary>
    /// Registers (or replaces) a named artifact file. A path inside the runs directory is stored relative to it;
    /// <see cref="Artifacts"/> returns absolute paths.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No run with this id.</exception>
    public void AddArtifact(long runId, string name, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string relative = Path.GetRelativePath(RunsDirectory, full);
        bool inside = relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
        string stored = !inside ? full : Path.DirectorySeparatorChar == '\\' ? relative.Replace('\\', '/') : relative;
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            EnsureRun(tx, runId, nameof(AddArtifact));
            using var cmd = Command(tx, "INSERT OR REPLACE INTO artifacts(run_id, name, path) VALUES($r, $n, $p);");
            cmd.Parameters.AddWithValue("$r", runId);
            cmd.Parameters.AddWithValue("$n", name);
            cmd.Parameters.AddWithValue("$p", stored);
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>Artifacts of a run by name, as absolute paths.</summary>
    public IReadOnlyDictionary<string, string> Artifacts(long runId)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = Command(null, "SELECT name, path FROM artifacts WHERE run_id = $r ORDER BY name;");
            cmd.Parameters.AddWithValue("$r", runId);
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) d[reader.GetString(0)] = Path.GetFullPath(Path.Combine(RunsDirectory, reader.GetString(1)));
            return d;
        }
    }

    /// <summary>
    /// Deletes a run: its rows (run, metrics, final metrics, checkpoints, artifacts records) and its directory under
    /// the runs directory (checkpoint files, including ones kept aside as <c>*.corrupt</c>), so that its config trains again.
    /// </summary>
    /// <returns>Whether the run existed.</returns>
    /// <exception cref="RunLeasedException">The run is Running and leased by another live process; nothing was deleted.</exception>
    public bool Delete(long runId) => DeleteWhere("WHERE id = $p", runId).Count > 0;

    /// <summary>
    /// Deletes every run recorded for a config hash (see <see cref="Delete"/>), so that the config trains from step 0:
    /// what <c>rk train --restart</c> does. Runs of the same config under another code version have another hash and stay.
    /// </summary>
    /// <returns>Ids of the deleted runs (empty when none was recorded).</returns>
    /// <exception cref="RunLeasedException">One of the runs is leased by another live process; nothing was deleted.</exception>
    public IReadOnlyList<long> DeleteConfig(string configHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(configHash);
        return DeleteWhere("WHERE config_hash = $p", configHash);
    }

    private List<long> DeleteWhere(string where, object parameter)
    {
        var ids = new List<long>();
        lock (_lock)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(deferred: false);
            var running = new List<long>();
            using (var sel = Command(tx, $"SELECT id, status FROM runs {where};"))
            {
                sel.Parameters.AddWithValue("$p", parameter);
                using var reader = sel.ExecuteReader();
                while (reader.Read())
                {
                    ids.Add(reader.GetInt64(0));
                    if (reader.GetString(1) == nameof(RunStatus.Running)) running.Add(reader.GetInt64(0));
                }
            }
            // Checked in the deleting transaction, so a process cannot take the run between the check and the delete.
            var now = DateTime.UtcNow;
            foreach (long id in running) ThrowIfLeasedByOther(tx, id, now, takingOver: false);
            foreach (long id in ids)
            {
                using var cmd = Command(tx, "DELETE FROM runs WHERE id = $r;"); // cascades to metrics, checkpoints, artifacts
                cmd.Parameters.AddWithValue("$r", id);
                cmd.ExecuteNonQuery();
                _leases.Remove(id);
            }
            tx.Commit();
        }
        foreach (long id in ids)
        {
            string dir = RunDirectory(id);
            if (!Directory.Exists(dir)) continue;
            try { Directory.Delete(dir, recursive: true); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Warning($"run {id}: could not delete '{dir}' ({ex.Message}); delete it by hand."); }
        }
        return ids;
    }

    /// <summary>Closes the connection (the database file can then be moved or deleted).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    /// <summary>Runs a scalar SQL query on this store's connection (tests: integrity_check, user_version).</summary>
    internal object? ExecuteScalar(string sql)
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            using var cmd = Command(null, sql);
            return cmd.ExecuteScalar();
        }
    }

    // '/' works on every OS, so a runs directory copied between machines still resolves.
    private static string CheckpointRelativePath(long runId, long step) =>
        $"{runId.ToString(CultureInfo.InvariantCulture)}/ckpt-{step.ToString(CultureInfo.InvariantCulture)}.safetensors";

    private SqliteCommand Command(SqliteTransaction? tx, string sql)
    {
        var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    private void EnsureRun(SqliteTransaction tx, long runId, string op)
    {
        using var cmd = Command(tx, "SELECT 1 FROM runs WHERE id = $r;");
        cmd.Parameters.AddWithValue("$r", runId);
        if (cmd.ExecuteScalar() is null)
            throw new KeyNotFoundException($"SqliteRunStore.{op}: run {runId} does not exist in '{DatabasePath}'; use the id returned by StartOrResume.");
    }

    /// <summary>
    /// Throws unless this store holds the run's lease: the row names this store's owner and the token that its
    /// <see cref="StartOrResume"/> issued. Runs inside the write's transaction, so a takeover cannot slip in between.
    /// </summary>
    private void EnsureLease(SqliteTransaction tx, long runId, string op)
    {
        using var cmd = Command(tx, "SELECT owner, lease_token FROM runs WHERE id = $r;");
        cmd.Parameters.AddWithValue("$r", runId);
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
            throw new KeyNotFoundException($"SqliteRunStore.{op}: run {runId} does not exist in '{DatabasePath}'; use the id returned by StartOrResume.");
        string? owner = reader.IsDBNull(0) ? null : reader.GetString(0), token = reader.IsDBNull(1) ? null : reader.GetString(1);
        bool held = _leases.TryGetValue(runId, out string? mine);
        if (held && owner == Owner.ToString() && token == mine) return;
        throw new RunLeaseLostException(runId, "SqliteRunStore." + op, RunOwner.Parse(owner), neverHeld: !held);
    }

    private void SetStatus(SqliteTransaction tx, long runId, RunStatus status, string? error)
    {
        using var cmd = Command(tx, "UPDATE runs SET status = $s, ended_utc = $t, error = $e WHERE id = $r;");
        cmd.Parameters.AddWithValue("$s", status.ToString());
        cmd.Parameters.AddWithValue("$t", FormatTime(DateTime.UtcNow));
        cmd.Parameters.AddWithValue("$e", (object?)error ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$r", runId);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Reads runs matching a SQL tail (WHERE/ORDER BY with optional parameter <c>$p</c> and one <paramref name="extra"/>)
    /// with their final metrics; <see cref="RunRecord.IsStale"/> is set for code versions other than <paramref name="staleAgainst"/>.
    /// </summary>
    private List<RunRecord> QueryRuns(SqliteTransaction tx, string tail, object? parameter, string? staleAgainst = null, (string Name, object Value)? extra = null)
    {
        var rows = new List<(long Id, string Hash, string Json, RunStatus Status, DateTime Started, DateTime? Ended, string? Error, string? Version)>();
        using (var cmd = Command(tx, $"SELECT id, config_hash, config_json, status, started_utc, ended_utc, error, code_version FROM runs {tail};"))
        {
            if (parameter is not null) cmd.Parameters.AddWithValue("$p", parameter);
            if (extra is { } x) cmd.Parameters.AddWithValue(x.Name, x.Value);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), Enum.Parse<RunStatus>(reader.GetString(3)),
                    ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : ParseTime(reader.GetString(5)),
                    reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }
        var finals = new Dictionary<long, Dictionary<string, double>>();
        if (rows.Count == 1)
        {
            using var cmd = Command(tx, "SELECT run_id, name, value FROM final_metrics WHERE run_id = $r ORDER BY name;");
            cmd.Parameters.AddWithValue("$r", rows[0].Id);
            ReadFinals(cmd, finals);
        }
        else if (rows.Count > 1)
        {
            using var cmd = Command(tx, "SELECT run_id, name, value FROM final_metrics ORDER BY run_id, name;");
            ReadFinals(cmd, finals);
        }
        var result = new List<RunRecord>(rows.Count);
        foreach (var r in rows)
        {
            IReadOnlyDictionary<string, double> fm = finals.TryGetValue(r.Id, out var d) ? d : new Dictionary<string, double>();
            result.Add(new RunRecord(r.Id, r.Hash, r.Json, r.Status, r.Started, r.Ended, fm, r.Error)
            {
                CodeVersion = r.Version,
                IsStale = staleAgainst is not null && !string.Equals(r.Version, staleAgainst, StringComparison.Ordinal),
            });
        }
        return result;
    }

    private static void ReadFinals(SqliteCommand cmd, Dictionary<long, Dictionary<string, double>> finals)
    {
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            long id = reader.GetInt64(0);
            if (!finals.TryGetValue(id, out var d)) finals[id] = d = new Dictionary<string, double>(StringComparer.Ordinal);
            d[reader.GetString(1)] = reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2);
        }
    }

    private static string FormatTime(DateTime utc) => utc.ToString("O", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string s) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Warning($"could not delete pruned checkpoint '{path}' ({ex.Message}).");
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
